#include "tests/sim/sim_disk.h"

#include <cstdio>
#include <cstdlib>
#include <iterator>

#include "zab/log_record.h"

namespace zk::sim {

uint64_t SeqOf(const DiskOp& op) {
  return std::visit([](const auto& a) { return a.seq; }, op);
}

uint64_t SimDisk::CompleteOne() {
  DiskOp op = std::move(pending_.front());
  pending_.pop_front();
  std::visit(
      [&](auto& a) {
        using T = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<T, zab::AppendAction>) {
          zab::Status s = Append(a.entries, true);
          if (!s.ok()) {
            std::fprintf(stderr, "sim disk: append refused: %s\n", s.ToString().c_str());
            std::abort();
          }
        } else if constexpr (std::is_same_v<T, zab::TruncateAction>) {
          (void)TruncateAfter(a.after_zxid);
        } else if constexpr (std::is_same_v<T, zab::SaveEpochsAction>) {
          accepted_epoch_ = a.accepted_epoch;
          current_epoch_ = a.current_epoch;
        } else {
          snapshot_zxid_ = a.zxid;
          snapshot_data_ = std::move(a.data);
          records_.clear();
        }
      },
      op);
  return SeqOf(op);
}

std::string SimDisk::Crash(Rng* rng, bool tear) {
  std::string what = std::to_string(pending_.size()) + " pending disk ops lost";
  if (tear && !pending_.empty()) {
    auto* append = std::get_if<zab::AppendAction>(&pending_.front());
    if (append != nullptr && !append->entries.empty()) {
      // A prefix of the batch reached the disk; its last record is damaged.
      size_t n = 1 + rng->Below(append->entries.size());
      int64_t last = records_.empty() ? 0 : records_.rbegin()->first;
      for (size_t i = 0; i < n; ++i) {
        const zab::LogEntry& e = append->entries[i];
        if (e.zxid <= last) break;  // never happens for a valid append
        std::string value;
        zab::record::EncodeLogValue(e.zxid, e.data, &value);
        if (i + 1 == n) {
          if (rng->PerMille(500) && value.size() > 1) {
            value.resize(rng->Below(value.size()));
          } else {
            value[rng->Below(value.size())] ^= static_cast<char>(1 + rng->Below(255));
          }
        }
        records_[e.zxid] = std::move(value);
      }
      what += ", torn append: " + std::to_string(n) + " of " +
              std::to_string(append->entries.size()) + " records written, the last damaged";
    }
  }
  pending_.clear();
  return what;
}

int SimDisk::Recover() {
  int cut = 0;
  bool bad = false;
  for (auto it = records_.begin(); it != records_.end();) {
    std::string_view data;
    if (!bad && !zab::record::DecodeLogValue(it->first, it->second, &data).ok()) bad = true;
    if (bad) {
      it = records_.erase(it);
      ++cut;
    } else {
      ++it;
    }
  }
  return cut;
}

void SimDisk::Compact(int64_t zxid, std::string data) {
  snapshot_zxid_ = zxid;
  snapshot_data_ = std::move(data);
  (void)PurgeBefore(zxid);
}

zab::DurableState SimDisk::Durable() {
  zab::DurableState d;
  d.accepted_epoch = accepted_epoch_;
  d.current_epoch = current_epoch_;
  d.last_zxid = records_.empty() ? snapshot_zxid_ : records_.rbegin()->first;
  return d;
}

std::vector<zab::LogEntry> SimDisk::DurableLog() {
  std::vector<zab::LogEntry> out;
  (void)Read(0, INT64_MAX, SIZE_MAX, &out);
  return out;
}

bool SimDisk::DurableRecord(int64_t zxid, std::string* data) {
  auto it = records_.find(zxid);
  if (it == records_.end()) return false;
  std::string_view view;
  if (!zab::record::DecodeLogValue(zxid, it->second, &view).ok()) return false;
  data->assign(view);
  return true;
}

zab::Status SimDisk::Append(const std::vector<zab::LogEntry>& entries, bool /*sync*/) {
  int64_t last = LastZxid();
  for (const zab::LogEntry& e : entries) {
    if (e.zxid <= last) return zab::Status::InvalidArgument("append out of zxid order");
    last = e.zxid;
  }
  for (const zab::LogEntry& e : entries) {
    zab::record::EncodeLogValue(e.zxid, e.data, &records_[e.zxid]);
  }
  return zab::Status::OK();
}

zab::Status SimDisk::TruncateAfter(int64_t zxid) {
  records_.erase(records_.upper_bound(zxid), records_.end());
  return zab::Status::OK();
}

zab::Status SimDisk::PurgeBefore(int64_t zxid) {
  records_.erase(records_.begin(), records_.lower_bound(zxid));
  return zab::Status::OK();
}

zab::Status SimDisk::Read(int64_t from_zxid, int64_t to_zxid, size_t max_bytes,
                          std::vector<zab::LogEntry>* out) {
  out->clear();
  size_t bytes = 0;
  for (auto it = records_.lower_bound(from_zxid); it != records_.end() && it->first <= to_zxid;
       ++it) {
    std::string_view data;
    zab::Status s = zab::record::DecodeLogValue(it->first, it->second, &data);
    if (!s.ok()) return s;
    bytes += data.size();
    if (!out->empty() && bytes > max_bytes) break;
    out->push_back(zab::LogEntry{it->first, std::string(data)});
  }
  return zab::Status::OK();
}

zab::Result<int64_t> SimDisk::FloorZxid(int64_t zxid) {
  auto it = records_.upper_bound(zxid);
  if (it == records_.begin()) return int64_t{0};
  return std::prev(it)->first;
}

int64_t SimDisk::FirstZxid() { return records_.empty() ? 0 : records_.begin()->first; }

int64_t SimDisk::LastZxid() { return records_.empty() ? 0 : records_.rbegin()->first; }

zab::Status SimDisk::PutMeta(std::string_view key, std::string_view value, bool /*sync*/) {
  meta_.insert_or_assign(std::string(key), std::string(value));
  return zab::Status::OK();
}

zab::Result<std::optional<std::string>> SimDisk::GetMeta(std::string_view key) {
  auto it = meta_.find(key);
  if (it == meta_.end()) return std::optional<std::string>();
  return std::optional<std::string>(it->second);
}

}  // namespace zk::sim
