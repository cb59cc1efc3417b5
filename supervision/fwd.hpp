// Forward declarations of the supervision library's public types.
// Include this instead of the full headers where a name is all you need.
#pragma once

namespace supervision {

enum class restart_type : unsigned char;
enum class child_type : unsigned char;
enum class restart_strategy : unsigned char;
enum class spec_errc : unsigned char;
enum class sup_errc : unsigned char;

struct shutdown_policy;
struct child_spec;
struct backoff_policy;
struct supervisor_flags;
struct supervisor_spec;
struct spec_error;

struct child_info;
struct child_counts;

} // namespace supervision
