// The scale benchmark of zkbench (`--op watch-scale`): many mostly idle sessions holding many
// one-shot watches, the server's memory per session and per watch, its CPU at idle, and the
// time to fire and deliver a batch of watch events.
//
// Layout: `parents` znodes under `base`, each with `children` leaves (100 B of data). Every
// leaf gets a data watch (getData) from `data_watchers` distinct sessions and every parent a
// child watch (getChildren) from `child_watchers` distinct sessions, spread round-robin over
// `sessions` sessions (on `loops` shared event loops, client/event_loop.h).
//
// Phases, each followed by a reading of the server's memory (`mem_cmd`'s output in bytes, or
// the RSS of the first --cpu-pids process): tree populated; sessions connected (memory per
// session = the difference / sessions); watches set (per watch = the difference / watches);
// with `heap_cmd`, its output is read at the same points and gives the same figures for the
// server's live heap (zabkeeper: mntr's zk_heap_allocated_bytes);
// then `idle_s` seconds of idle (sessions only ping: server CPU in % of one CPU); then `fire`
// leaves are changed by one extra session (pipelined setData) and the time from the first
// change sent to the last of their data watches' events delivered is reported (events/s).
#pragma once

#include <string>
#include <vector>

namespace zk::bench {

struct WatchScaleConfig {
  std::string servers;
  int sessions = 10000;
  int loops = 2;
  int parents = 1000;
  int children = 100;
  int data_watchers = 9;    // per leaf: 900,000 data watches with the defaults
  int child_watchers = 100; // per parent: 100,000 child watches
  int fire = 11112;         // leaves changed in the fire phase (x data_watchers events)
  double idle_s = 10;
  std::string base = "/zkscale";
  int session_timeout_ms = 30000;
  std::vector<int> cpu_pids;
  std::string mem_cmd;  // a shell command printing the server's memory in bytes
  std::string heap_cmd;  // optional: a shell command printing the server's live heap in bytes
  bool json = false;
};

// Runs the benchmark and prints its report (and, with json, one JSON line last). Returns the
// process exit code: 0 if every phase completed without errors.
int RunWatchScaleBench(const WatchScaleConfig& cfg);

}  // namespace zk::bench
