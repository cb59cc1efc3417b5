// The scripted peer as a program, for tests written in C: `client_lib_scripted_peer PATH` listens on PATH with
// replies reordered, prints "ready", and on EOF on stdin prints "calls N" (the calls it answered) and exits.
#include <cstdio>
#include <exception>
#include <unistd.h>

#include "scripted_peer.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s SOCKET_PATH\n", argv[0]);
    return 2;
  }
  try {
    ferry::test::scripted_peer peer(argv[1]);
    peer.reorder(true);  // completions arrive out of submission order, as from a real ferryd under load
    std::printf("ready\n");
    std::fflush(stdout);
    char sink[64];
    while (::read(STDIN_FILENO, sink, sizeof sink) > 0) {
    }
    std::printf("calls %zu\n", peer.calls().size());
    std::fflush(stdout);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", argv[0], e.what());
    return 1;
  }
  return 0;
}
