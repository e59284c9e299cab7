#include <doctest/doctest.h>

#include "zab/config_txn.h"
#include "zab/quorum_config.h"

namespace zk::zab {
namespace {

TEST_CASE("quorum config: a majority of the voters, observers never count") {
  QuorumConfig c = MakeQuorumConfig(0, {3, 1, 2}, {4});
  CHECK(c.voters == std::vector<ServerId>{1, 2, 3});
  CHECK(c.Validate().empty());
  CHECK(c.IsQuorum({1, 2}));
  CHECK(!c.IsQuorum({1, 4}));
  CHECK(!c.IsQuorum({3, 4, 9}));
  CHECK(c.IsVoter(2));
  CHECK(c.IsObserver(4));
  CHECK(!c.IsMember(5));
  QuorumConfig four = MakeQuorumConfig(0, {1, 2, 3, 4}, {});
  CHECK(!four.IsQuorum({1, 2}));
  CHECK(four.IsQuorum({1, 2, 4}));
  CHECK(!QuorumConfig{}.IsQuorum({1}));
}

TEST_CASE("quorum config: validation") {
  CHECK(!QuorumConfig{}.Validate().empty());
  CHECK(!MakeQuorumConfig(0, {1, 2}, {2}).Validate().empty());
  CHECK(!MakeQuorumConfig(0, {1, 1}, {}).Validate().empty());
  CHECK(!MakeQuorumConfig(0, {0, 1}, {}).Validate().empty());
}

TEST_CASE("quorum config: msgpack round trip; malformed bytes are refused") {
  QuorumConfig c = MakeQuorumConfig(int64_t{5} << 32 | 7, {1, 2, 3}, {9});
  c.addresses[1] = "host1:2888:3888;2181";
  std::string bytes = EncodeQuorumConfig(c);
  QuorumConfig d;
  REQUIRE(DecodeQuorumConfig(bytes, &d));
  CHECK(d == c);
  CHECK(!DecodeQuorumConfig(bytes.substr(0, bytes.size() - 1), &d));
  CHECK(!DecodeQuorumConfig(bytes + "x", &d));
  CHECK(!DecodeQuorumConfig("", &d));
  CHECK(!DecodeQuorumConfig("\x93\x01\x90\x90", &d));
}

TEST_CASE("config txn: the envelope carries the config next to the txn; others pass through") {
  QuorumConfig c = MakeQuorumConfig(42, {1, 2}, {});
  std::string data = EncodeConfigTxn(c, "the-txn");
  CHECK(IsConfigTxn(data));
  QuorumConfig d;
  std::string_view txn;
  REQUIRE(DecodeConfigTxn(data, &d, &txn));
  CHECK(d == c);
  CHECK(txn == "the-txn");
  CHECK(SplitConfigTxn(data) == "the-txn");
  // Old entries (msgpack txns never start with 0xc1) decode as no-config.
  CHECK(!IsConfigTxn("\x93\x01\x02\x03"));
  CHECK(SplitConfigTxn("\x93\x01\x02\x03") == "\x93\x01\x02\x03");
  CHECK(!DecodeConfigTxn(std::string("\xc1\x00\x00\x01\x00", 5), &d, &txn));
}

}  // namespace
}  // namespace zk::zab
