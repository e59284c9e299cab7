// Helpers that frame replies: a ReplyHeader followed by an optional response record, with the
// 4-byte length prefix. Pure functions.
#pragma once

#include <string>

#include "client/proto/jute.h"
#include "client/proto/records.h"
#include "client/proto/wire_constants.h"

namespace zk::server {

// Room for the length prefix, the 16-byte header and a small record (a Stat is 68 bytes), so
// the common replies are built in one allocation.
inline constexpr size_t kSmallReplyBytes = 128;

inline std::string FrameReply(int32_t xid, int64_t zxid, Err err) {
  proto::JuteWriter w;
  w.Reserve(4 + 16);
  size_t mark = w.BeginFrame();
  proto::ReplyHeader{xid, zxid, static_cast<int32_t>(err)}.Write(w);
  w.EndFrame(mark);
  return w.Take();
}

template <class Record>
std::string FrameReply(int32_t xid, int64_t zxid, const Record& body) {
  proto::JuteWriter w;
  w.Reserve(kSmallReplyBytes);
  size_t mark = w.BeginFrame();
  proto::ReplyHeader{xid, zxid, 0}.Write(w);
  body.Write(w);
  w.EndFrame(mark);
  return w.Take();
}

}  // namespace zk::server
