#include "client/proto/stats_track.h"

#include <doctest/doctest.h>

namespace zk::proto {

TEST_CASE("StatsTrack reads and writes ZooKeeper's quota records") {
  auto limits = StatsTrack::Parse("count=-1,bytes=-1=;byteHardLimit=-1;countHardLimit=3");
  REQUIRE(limits);
  CHECK(limits->Get(StatsTrack::kCountHardLimit) == 3);
  CHECK(limits->Get(StatsTrack::kBytes) == -1);
  CHECK(limits->ToString() == "count=-1,bytes=-1=;byteHardLimit=-1;countHardLimit=3");
  auto stats = StatsTrack::Parse("count=2,bytes=7");
  REQUIRE(stats);
  CHECK(stats->ToString() == "count=2,bytes=7");
  CHECK(StatsTrack().ToString() == "count=-1,bytes=-1");
  // Runs of separators, '+' signs, an empty value (-1), the last duplicate wins.
  auto odd = StatsTrack::Parse(",;count=+4;;bytes==9,count=5");
  REQUIRE(odd);
  CHECK(odd->Get(StatsTrack::kCount) == 5);
  CHECK(odd->Get(StatsTrack::kBytes) == -1);
  // Where ZooKeeper's parser throws.
  CHECK_FALSE(StatsTrack::Parse("count"));
  CHECK_FALSE(StatsTrack::Parse("count="));
  CHECK_FALSE(StatsTrack::Parse("count=abc"));
  CHECK_FALSE(StatsTrack::Parse("count=99999999999999999999"));
  CHECK(StatsTrack::Parse("")->ToString() == "count=-1,bytes=-1");
}

}  // namespace zk::proto
