// Contender nodes of the lock-like recipes, in Apache Curator's layout: ephemeral-sequential
// children of the recipe's path named "<protection prefix><name><10-digit sequence>", where the
// protection prefix "_c_<uuid>-" lets a client find the node its create made when the reply was
// lost to a connection break (instead of creating a second one). Contenders are ordered by the
// sequence number alone — the trailing ten digits, whatever comes before — so recipes of other
// clients on the same path (Curator's "lock-", kazoo's "__lock__") queue in one line.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace zk::recipes {

// "_c_" + a random (version 4) UUID + "-", as Curator's protected mode writes it.
std::string NewProtectionPrefix();

// The sequence number of a contender name: its trailing ten decimal digits; -1 if it has none.
int64_t SequenceOf(std::string_view name);

// The names that carry a sequence number, sorted by it (ties by name).
std::vector<std::string> SortBySequence(std::vector<std::string> names);

// The first of `names` that starts with `prefix`; empty if none.
std::string FindWithPrefix(const std::vector<std::string>& names, std::string_view prefix);

// "<parent>/<child>", for a parent that may be "/".
std::string JoinPath(std::string_view parent, std::string_view child);

}  // namespace zk::recipes
