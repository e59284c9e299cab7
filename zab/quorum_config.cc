#include "zab/quorum_config.h"

#include <algorithm>
#include <msgpack.hpp>

namespace zk::zab {
namespace {

bool SortedContains(const std::vector<ServerId>& ids, ServerId id) {
  return std::binary_search(ids.begin(), ids.end(), id);
}

class QuorumConfigSink {
 public:
  explicit QuorumConfigSink(std::string* out) : out_(out) {}
  void write(const char* p, size_t n) { out_->append(p, n); }  // NOLINT: msgpack's name

 private:
  std::string* out_;
};

bool DecodeIdList(const msgpack::object& o, std::vector<ServerId>* out) {
  if (o.type != msgpack::type::ARRAY) return false;
  out->clear();
  for (uint32_t i = 0; i < o.via.array.size; ++i) {
    const msgpack::object& e = o.via.array.ptr[i];
    if (e.type != msgpack::type::POSITIVE_INTEGER) return false;
    if (e.via.u64 > static_cast<uint64_t>(INT64_MAX)) return false;
    out->push_back(static_cast<ServerId>(e.via.u64));
  }
  return true;
}

}  // namespace

bool QuorumConfig::IsVoter(ServerId id) const { return SortedContains(voters, id); }
bool QuorumConfig::IsObserver(ServerId id) const { return SortedContains(observers, id); }

bool QuorumConfig::IsQuorum(const std::set<ServerId>& ids) const {
  size_t n = 0;
  for (ServerId v : voters) n += ids.contains(v) ? 1 : 0;
  return !voters.empty() && n >= voters.size() / 2 + 1;
}

std::string QuorumConfig::Validate() const {
  if (voters.empty()) return "no voting members";
  std::vector<ServerId> all = voters;
  all.insert(all.end(), observers.begin(), observers.end());
  std::sort(all.begin(), all.end());
  if (all.front() <= 0) return "server ids must be positive";
  if (std::adjacent_find(all.begin(), all.end()) != all.end()) return "duplicate server id";
  if (!std::is_sorted(voters.begin(), voters.end()) ||
      !std::is_sorted(observers.begin(), observers.end())) {
    return "members not sorted";
  }
  return "";
}

std::string QuorumConfig::Describe() const {
  auto list = [](const std::vector<ServerId>& ids) {
    std::string s;
    for (ServerId id : ids) s += (s.empty() ? "" : ",") + std::to_string(id);
    return s.empty() ? std::string("-") : s;
  };
  char v[32];
  std::snprintf(v, sizeof(v), "v0x%llx", static_cast<unsigned long long>(version));
  return std::string(v) + " voters " + list(voters) + " observers " + list(observers);
}

QuorumConfig MakeQuorumConfig(int64_t version, std::vector<ServerId> voters,
                              std::vector<ServerId> observers) {
  QuorumConfig c;
  c.version = version;
  c.voters = std::move(voters);
  c.observers = std::move(observers);
  std::sort(c.voters.begin(), c.voters.end());
  std::sort(c.observers.begin(), c.observers.end());
  return c;
}

std::string EncodeQuorumConfig(const QuorumConfig& config) {
  std::string out;
  QuorumConfigSink sink(&out);
  msgpack::packer<QuorumConfigSink> pk(sink);
  pk.pack_array(4);
  pk.pack_int64(config.version);
  pk.pack_array(static_cast<uint32_t>(config.voters.size()));
  for (ServerId id : config.voters) pk.pack_int64(id);
  pk.pack_array(static_cast<uint32_t>(config.observers.size()));
  for (ServerId id : config.observers) pk.pack_int64(id);
  pk.pack_map(static_cast<uint32_t>(config.addresses.size()));
  for (const auto& [id, address] : config.addresses) {
    pk.pack_int64(id);
    pk.pack_str(static_cast<uint32_t>(address.size()));
    pk.pack_str_body(address.data(), static_cast<uint32_t>(address.size()));
  }
  return out;
}

bool DecodeQuorumConfig(std::string_view bytes, QuorumConfig* config) {
  try {
    size_t off = 0;
    msgpack::object_handle oh = msgpack::unpack(bytes.data(), bytes.size(), off);
    if (off != bytes.size()) return false;
    const msgpack::object& o = oh.get();
    if (o.type != msgpack::type::ARRAY || o.via.array.size != 4) return false;
    const msgpack::object* f = o.via.array.ptr;
    QuorumConfig c;
    if (f[0].type != msgpack::type::POSITIVE_INTEGER) return false;
    if (f[0].via.u64 > static_cast<uint64_t>(INT64_MAX)) return false;
    c.version = static_cast<int64_t>(f[0].via.u64);
    if (!DecodeIdList(f[1], &c.voters) || !DecodeIdList(f[2], &c.observers)) return false;
    if (f[3].type != msgpack::type::MAP) return false;
    for (uint32_t i = 0; i < f[3].via.map.size; ++i) {
      const msgpack::object_kv& kv = f[3].via.map.ptr[i];
      if (kv.key.type != msgpack::type::POSITIVE_INTEGER || kv.val.type != msgpack::type::STR) {
        return false;
      }
      if (kv.key.via.u64 > static_cast<uint64_t>(INT64_MAX)) return false;
      c.addresses[static_cast<ServerId>(kv.key.via.u64)] =
          std::string(kv.val.via.str.ptr, kv.val.via.str.size);
    }
    *config = std::move(c);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace zk::zab
