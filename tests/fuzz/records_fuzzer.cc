// Fuzzes the jute decoders of every request record the server reads (client/proto/records.h).
// The first input byte picks the record, the rest is its bytes. Checks: JuteReader never reads
// out of bounds (ASan) and never reports more consumed bytes than it was given; a record that
// decodes re-encodes to bytes that decode to an equal record, whose encoding is the same again.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "client/proto/jute.h"
#include "client/proto/records.h"
#include "tests/fuzz/fuzz_util.h"

namespace zk::proto {
namespace {

// Decode `bytes` as R; if it decodes, check the encode/decode round trip.
template <class R, class ReadFn, class WriteFn>
void RoundTrip(std::string_view bytes, ReadFn read, WriteFn write) {
  JuteReader r(bytes, static_cast<size_t>(kDefaultJuteMaxBuffer));
  R rec;
  const bool ok = read(rec, r);
  FUZZ_CHECK(ok == r.ok());
  FUZZ_CHECK(r.position() <= bytes.size());
  if (!ok) return;
  JuteWriter w;
  write(rec, w);
  const std::string once = w.Take();
  JuteReader r2(once, static_cast<size_t>(kDefaultJuteMaxBuffer));
  R again;
  FUZZ_CHECK(read(again, r2));
  FUZZ_CHECK(r2.remaining() == 0);
  FUZZ_CHECK(again == rec);
  JuteWriter w2;
  write(again, w2);
  FUZZ_CHECK(w2.buffer() == once);
}

template <class R>
void Plain(std::string_view bytes) {
  RoundTrip<R>(
      bytes, [](R& rec, JuteReader& r) { return rec.Read(r); },
      [](const R& rec, JuteWriter& w) { rec.Write(w); });
}

// A multi request body as the server reads it: (MultiHeader, op record)* up to done.
void MultiSequence(std::string_view bytes) {
  JuteReader r(bytes, static_cast<size_t>(kDefaultJuteMaxBuffer));
  for (int i = 0; i < 1000; ++i) {
    MultiHeader mh;
    if (!mh.Read(r) || mh.done) break;
    bool ok = false;
    switch (static_cast<OpCode>(mh.type)) {
      case OpCode::kCreate:
      case OpCode::kCreate2:
      case OpCode::kCreateContainer:
        ok = CreateRequest{}.Read(r);
        break;
      case OpCode::kCreateTtl:
        ok = CreateTtlRequest{}.Read(r);
        break;
      case OpCode::kDelete:
        ok = DeleteRequest{}.Read(r);
        break;
      case OpCode::kSetData:
        ok = SetDataRequest{}.Read(r);
        break;
      case OpCode::kSetAcl:
        ok = SetAclRequest{}.Read(r);
        break;
      case OpCode::kCheck:
        ok = CheckVersionRequest{}.Read(r);
        break;
      case OpCode::kGetData:
      case OpCode::kGetChildren:
        ok = PathWatchRequest{}.Read(r);
        break;
      default:
        break;
    }
    if (!ok) break;
  }
  FUZZ_CHECK(r.position() <= bytes.size());
}

// Vectors of every primitive, with a small max_length so the length checks are exercised.
void Primitives(std::string_view bytes) {
  JuteReader r(bytes, /*max_length=*/64);
  std::vector<std::string> strings;
  std::vector<int64_t> longs;
  std::vector<int32_t> ints;
  std::vector<Acl> acl;
  bool is_null = false;
  std::string buf;
  r.ReadStringVector(&strings);
  r.ReadLongVector(&longs);
  r.ReadIntVector(&ints);
  ReadAclVector(r, &acl);
  r.ReadBuffer(&buf, &is_null);
  if (r.ok()) {
    FUZZ_CHECK(buf.size() <= 64);
    FUZZ_CHECK(!is_null || buf.empty());
    for (const auto& s : strings) FUZZ_CHECK(s.size() <= 64);
  }
  FUZZ_CHECK(r.position() <= bytes.size());
}

}  // namespace
}  // namespace zk::proto

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace zk::proto;
  if (size == 0) return 0;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 20) {
    case 0:
      Plain<ConnectRequest>(bytes);
      break;
    case 1:
      Plain<RequestHeader>(bytes);
      break;
    case 2:
      Plain<CreateRequest>(bytes);
      break;
    case 3:
      Plain<CreateTtlRequest>(bytes);
      break;
    case 4:
      Plain<DeleteRequest>(bytes);
      break;
    case 5:
      Plain<SetDataRequest>(bytes);
      break;
    case 6:
      Plain<SetAclRequest>(bytes);
      break;
    case 7:
      Plain<PathWatchRequest>(bytes);
      break;
    case 8:
      Plain<PathRequest>(bytes);
      break;
    case 9:
      Plain<CheckVersionRequest>(bytes);
      break;
    case 10:
      Plain<MultiHeader>(bytes);
      break;
    case 11:
      Plain<AuthPacket>(bytes);
      break;
    case 12:
    case 13: {
      const bool v2 = data[0] % 20 == 13;
      RoundTrip<SetWatchesRequest>(
          bytes, [v2](SetWatchesRequest& rec, JuteReader& r) { return rec.Read(r, v2); },
          [v2](const SetWatchesRequest& rec, JuteWriter& w) { rec.Write(w, v2); });
      break;
    }
    case 14:
      Plain<AddWatchRequest>(bytes);
      break;
    case 15:
      Plain<WatchesRequest>(bytes);
      break;
    case 16:
      Plain<ReconfigRequest>(bytes);
      break;
    case 17:
      MultiSequence(bytes);
      break;
    case 18:
      Plain<Stat>(bytes);
      break;
    default:
      Primitives(bytes);
      break;
  }
  return 0;
}
