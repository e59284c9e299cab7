// Decoding of client write requests into Prep's WriteRequest: which op codes are writes, and
// the records each carries (a multi is a sequence of MultiHeader + record, ended by a done
// header). Shared by the server's request pipeline and the request fuzzer, so the fuzzer tests
// the code the server runs. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <string_view>

#include "client/proto/jute.h"
#include "client/proto/wire_constants.h"
#include "server/prep.h"

namespace zk::server {

// create*, delete, setData, setACL, check, multi, closeSession and reconfig.
bool IsWriteOp(OpCode type);

// Reads one op of a multi (or of a multiRead holding writes) after its MultiHeader: create,
// create2, createContainer, createTTL, delete, setData or check. False for any other type or a
// malformed record.
bool ReadMultiWriteOp(OpCode type, proto::JuteReader& r, WriteOp* op);

// Decodes the body of a write request of `type`; false when it is malformed (including a multi
// holding an op that may not appear in one). Fields longer than `max_field_bytes` are malformed.
// REQUIRES: IsWriteOp(type).
bool DecodeWriteRequest(OpCode type, std::string_view body, size_t max_field_bytes,
                        WriteRequest* req);

}  // namespace zk::server
