// tracker-load: announce load generator for Benchmarks/tracker.py.
//
//     tracker-load hashes --torrents N [--seed S]
//     tracker-load udp  --target 127.0.0.1:PORT [options]
//     tracker-load http --target 127.0.0.1:PORT [options] [--keep-alive]
//
// One thread, raw non-blocking sockets and poll(2), no package dependencies: the client
// must cost as little as it can and behave the same against every tracker.
// Loopback targets only. Exit status: 0 done, 1 socket failure, 2 usage.

import Glibc  // Linux only (poll, SOCK_NONBLOCK, CLOCK_MONOTONIC)

exit(TrackerLoad.main(Array(CommandLine.arguments.dropFirst())))
