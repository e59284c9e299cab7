#include "client/proto/records.h"

namespace zk::proto {

namespace {

void WriteData(JuteWriter& w, const std::string& data, bool data_null) {
  if (data_null) {
    w.WriteNullBuffer();
  } else {
    w.WriteBuffer(data);
  }
}

void WriteOptionalString(JuteWriter& w, const std::optional<std::string>& s) {
  if (s.has_value()) {
    w.WriteString(*s);
  } else {
    w.WriteNullBuffer();
  }
}

bool ReadOptionalString(JuteReader& r, std::optional<std::string>* out) {
  std::string s;
  bool is_null = false;
  if (!r.ReadBuffer(&s, &is_null)) return false;
  if (is_null) {
    out->reset();
  } else {
    *out = std::move(s);
  }
  return true;
}

}  // namespace

// ---- Stat, Id, Acl --------------------------------------------------------------------------

void Stat::Write(JuteWriter& w) const {
  w.WriteLong(czxid);
  w.WriteLong(mzxid);
  w.WriteLong(ctime);
  w.WriteLong(mtime);
  w.WriteInt(version);
  w.WriteInt(cversion);
  w.WriteInt(aversion);
  w.WriteLong(ephemeral_owner);
  w.WriteInt(data_length);
  w.WriteInt(num_children);
  w.WriteLong(pzxid);
}

bool Stat::Read(JuteReader& r) {
  r.ReadLong(&czxid);
  r.ReadLong(&mzxid);
  r.ReadLong(&ctime);
  r.ReadLong(&mtime);
  r.ReadInt(&version);
  r.ReadInt(&cversion);
  r.ReadInt(&aversion);
  r.ReadLong(&ephemeral_owner);
  r.ReadInt(&data_length);
  r.ReadInt(&num_children);
  r.ReadLong(&pzxid);
  return r.ok();
}

bool ReadStat(JuteReader& r, Stat* stat) { return stat->Read(r); }
void WriteStat(JuteWriter& w, const Stat& stat) { stat.Write(w); }

void Id::Write(JuteWriter& w) const {
  w.WriteString(scheme);
  w.WriteString(id);
}

bool Id::Read(JuteReader& r) {
  r.ReadString(&scheme);
  r.ReadString(&id);
  return r.ok();
}

void Acl::Write(JuteWriter& w) const {
  w.WriteInt(perms);
  id.Write(w);
}

bool Acl::Read(JuteReader& r) {
  r.ReadInt(&perms);
  id.Read(r);
  return r.ok();
}

bool ReadAclVector(JuteReader& r, std::vector<Acl>* acl) {
  return r.ReadVector(acl, [](JuteReader& rr, Acl* a) { return a->Read(rr); });
}

void WriteAclVector(JuteWriter& w, const std::vector<Acl>& acl) {
  w.WriteVector(acl, [](JuteWriter& ww, const Acl& a) { a.Write(ww); });
}

// ---- Handshake and headers ------------------------------------------------------------------

void ConnectRequest::Write(JuteWriter& w) const {
  w.WriteInt(protocol_version);
  w.WriteLong(last_zxid_seen);
  w.WriteInt(timeout_ms);
  w.WriteLong(session_id);
  w.WriteBuffer(passwd);
  if (has_read_only) w.WriteBool(read_only);
}

bool ConnectRequest::Read(JuteReader& r) {
  r.ReadInt(&protocol_version);
  r.ReadLong(&last_zxid_seen);
  r.ReadInt(&timeout_ms);
  r.ReadLong(&session_id);
  r.ReadBuffer(&passwd);
  read_only = false;
  has_read_only = r.ok() && r.remaining() > 0;
  if (has_read_only) r.ReadBool(&read_only);
  return r.ok();
}

void ConnectResponse::Write(JuteWriter& w) const {
  w.WriteInt(protocol_version);
  w.WriteInt(timeout_ms);
  w.WriteLong(session_id);
  w.WriteBuffer(passwd);
  if (has_read_only) w.WriteBool(read_only);
}

bool ConnectResponse::Read(JuteReader& r) {
  r.ReadInt(&protocol_version);
  r.ReadInt(&timeout_ms);
  r.ReadLong(&session_id);
  r.ReadBuffer(&passwd);
  read_only = false;
  has_read_only = r.ok() && r.remaining() > 0;
  if (has_read_only) r.ReadBool(&read_only);
  return r.ok();
}

void RequestHeader::Write(JuteWriter& w) const {
  w.WriteInt(xid);
  w.WriteInt(type);
}

bool RequestHeader::Read(JuteReader& r) {
  r.ReadInt(&xid);
  r.ReadInt(&type);
  return r.ok();
}

void ReplyHeader::Write(JuteWriter& w) const {
  w.WriteInt(xid);
  w.WriteLong(zxid);
  w.WriteInt(err);
}

bool ReplyHeader::Read(JuteReader& r) {
  r.ReadInt(&xid);
  r.ReadLong(&zxid);
  r.ReadInt(&err);
  return r.ok();
}

void MultiHeader::Write(JuteWriter& w) const {
  w.WriteInt(type);
  w.WriteBool(done);
  w.WriteInt(err);
}

bool MultiHeader::Read(JuteReader& r) {
  r.ReadInt(&type);
  r.ReadBool(&done);
  r.ReadInt(&err);
  return r.ok();
}

void AuthPacket::Write(JuteWriter& w) const {
  w.WriteInt(type);
  w.WriteString(scheme);
  w.WriteBuffer(auth);
}

bool AuthPacket::Read(JuteReader& r) {
  r.ReadInt(&type);
  r.ReadString(&scheme);
  r.ReadBuffer(&auth);
  return r.ok();
}

// ---- Requests -------------------------------------------------------------------------------

void CreateRequest::Write(JuteWriter& w) const {
  w.WriteString(path);
  WriteData(w, data, data_null);
  WriteAclVector(w, acl);
  w.WriteInt(flags);
}

bool CreateRequest::Read(JuteReader& r) {
  r.ReadString(&path);
  r.ReadBuffer(&data, &data_null);
  ReadAclVector(r, &acl);
  r.ReadInt(&flags);
  return r.ok();
}

void CreateTtlRequest::Write(JuteWriter& w) const {
  w.WriteString(path);
  WriteData(w, data, data_null);
  WriteAclVector(w, acl);
  w.WriteInt(flags);
  w.WriteLong(ttl);
}

bool CreateTtlRequest::Read(JuteReader& r) {
  r.ReadString(&path);
  r.ReadBuffer(&data, &data_null);
  ReadAclVector(r, &acl);
  r.ReadInt(&flags);
  r.ReadLong(&ttl);
  return r.ok();
}

void DeleteRequest::Write(JuteWriter& w) const {
  w.WriteString(path);
  w.WriteInt(version);
}

bool DeleteRequest::Read(JuteReader& r) {
  r.ReadString(&path);
  r.ReadInt(&version);
  return r.ok();
}

void PathWatchRequest::Write(JuteWriter& w) const {
  w.WriteString(path);
  w.WriteBool(watch);
}

bool PathWatchRequest::Read(JuteReader& r) {
  r.ReadString(&path);
  r.ReadBool(&watch);
  return r.ok();
}

void SetDataRequest::Write(JuteWriter& w) const {
  w.WriteString(path);
  WriteData(w, data, data_null);
  w.WriteInt(version);
}

bool SetDataRequest::Read(JuteReader& r) {
  r.ReadString(&path);
  r.ReadBuffer(&data, &data_null);
  r.ReadInt(&version);
  return r.ok();
}

void PathRequest::Write(JuteWriter& w) const { w.WriteString(path); }

bool PathRequest::Read(JuteReader& r) {
  r.ReadString(&path);
  return r.ok();
}

void SetAclRequest::Write(JuteWriter& w) const {
  w.WriteString(path);
  WriteAclVector(w, acl);
  w.WriteInt(version);
}

bool SetAclRequest::Read(JuteReader& r) {
  r.ReadString(&path);
  ReadAclVector(r, &acl);
  r.ReadInt(&version);
  return r.ok();
}

void CheckVersionRequest::Write(JuteWriter& w) const {
  w.WriteString(path);
  w.WriteInt(version);
}

bool CheckVersionRequest::Read(JuteReader& r) {
  r.ReadString(&path);
  r.ReadInt(&version);
  return r.ok();
}

void SetWatchesRequest::Write(JuteWriter& w, bool v2) const {
  w.WriteLong(relative_zxid);
  w.WriteStringVector(data_watches);
  w.WriteStringVector(exist_watches);
  w.WriteStringVector(child_watches);
  if (v2) {
    w.WriteStringVector(persistent_watches);
    w.WriteStringVector(persistent_recursive_watches);
  }
}

bool SetWatchesRequest::Read(JuteReader& r, bool v2) {
  r.ReadLong(&relative_zxid);
  r.ReadStringVector(&data_watches);
  r.ReadStringVector(&exist_watches);
  r.ReadStringVector(&child_watches);
  persistent_watches.clear();
  persistent_recursive_watches.clear();
  if (v2) {
    r.ReadStringVector(&persistent_watches);
    r.ReadStringVector(&persistent_recursive_watches);
  }
  return r.ok();
}

void AddWatchRequest::Write(JuteWriter& w) const {
  w.WriteString(path);
  w.WriteInt(mode);
}

bool AddWatchRequest::Read(JuteReader& r) {
  r.ReadString(&path);
  r.ReadInt(&mode);
  return r.ok();
}

void WatchesRequest::Write(JuteWriter& w) const {
  w.WriteString(path);
  w.WriteInt(type);
}

bool WatchesRequest::Read(JuteReader& r) {
  r.ReadString(&path);
  r.ReadInt(&type);
  return r.ok();
}

void ReconfigRequest::Write(JuteWriter& w) const {
  WriteOptionalString(w, joining);
  WriteOptionalString(w, leaving);
  WriteOptionalString(w, new_members);
  w.WriteLong(cur_config_id);
}

bool ReconfigRequest::Read(JuteReader& r) {
  ReadOptionalString(r, &joining);
  ReadOptionalString(r, &leaving);
  ReadOptionalString(r, &new_members);
  r.ReadLong(&cur_config_id);
  return r.ok();
}

// ---- Responses and events -------------------------------------------------------------------

void WatcherEvent::Write(JuteWriter& w) const {
  w.WriteInt(type);
  w.WriteInt(state);
  w.WriteString(path);
}

bool WatcherEvent::Read(JuteReader& r) {
  r.ReadInt(&type);
  r.ReadInt(&state);
  r.ReadString(&path);
  return r.ok();
}

void PathResponse::Write(JuteWriter& w) const { w.WriteString(path); }

bool PathResponse::Read(JuteReader& r) {
  r.ReadString(&path);
  return r.ok();
}

void Create2Response::Write(JuteWriter& w) const {
  w.WriteString(path);
  stat.Write(w);
}

bool Create2Response::Read(JuteReader& r) {
  r.ReadString(&path);
  stat.Read(r);
  return r.ok();
}

void StatResponse::Write(JuteWriter& w) const { stat.Write(w); }

bool StatResponse::Read(JuteReader& r) { return stat.Read(r); }

void GetDataResponse::Write(JuteWriter& w) const {
  WriteData(w, data, data_null);
  stat.Write(w);
}

bool GetDataResponse::Read(JuteReader& r) {
  r.ReadBuffer(&data, &data_null);
  stat.Read(r);
  return r.ok();
}

void GetAclResponse::Write(JuteWriter& w) const {
  WriteAclVector(w, acl);
  stat.Write(w);
}

bool GetAclResponse::Read(JuteReader& r) {
  ReadAclVector(r, &acl);
  stat.Read(r);
  return r.ok();
}

void GetChildrenResponse::Write(JuteWriter& w) const { w.WriteStringVector(children); }

bool GetChildrenResponse::Read(JuteReader& r) {
  r.ReadStringVector(&children);
  return r.ok();
}

void GetChildren2Response::Write(JuteWriter& w) const {
  w.WriteStringVector(children);
  stat.Write(w);
}

bool GetChildren2Response::Read(JuteReader& r) {
  r.ReadStringVector(&children);
  stat.Read(r);
  return r.ok();
}

void StringListResponse::Write(JuteWriter& w) const { w.WriteStringVector(values); }

bool StringListResponse::Read(JuteReader& r) {
  r.ReadStringVector(&values);
  return r.ok();
}

void GetAllChildrenNumberResponse::Write(JuteWriter& w) const { w.WriteInt(total); }

bool GetAllChildrenNumberResponse::Read(JuteReader& r) {
  r.ReadInt(&total);
  return r.ok();
}

void ClientInfo::Write(JuteWriter& w) const {
  w.WriteString(auth_scheme);
  w.WriteString(user);
}

bool ClientInfo::Read(JuteReader& r) {
  r.ReadString(&auth_scheme);
  r.ReadString(&user);
  return r.ok();
}

void WhoAmIResponse::Write(JuteWriter& w) const {
  w.WriteVector(client_info, [](JuteWriter& ww, const ClientInfo& c) { c.Write(ww); });
}

bool WhoAmIResponse::Read(JuteReader& r) {
  r.ReadVector(&client_info, [](JuteReader& rr, ClientInfo* c) { return c->Read(rr); });
  return r.ok();
}

void ErrorResponse::Write(JuteWriter& w) const { w.WriteInt(err); }

bool ErrorResponse::Read(JuteReader& r) {
  r.ReadInt(&err);
  return r.ok();
}

}  // namespace zk::proto
