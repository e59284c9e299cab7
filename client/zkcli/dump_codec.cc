#include "client/zkcli/dump_codec.h"

#include <set>

namespace zk::zkcli {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kFormat = "zkcli-dump";
constexpr int kVersion = 1;

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i + 1 == bytes.size()) {
    uint32_t v = uint8_t(bytes[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = Base64Value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += char((acc >> bits) & 0xff);
    }
  }
  return out;
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    uint8_t c = uint8_t(s[i]);
    size_t len;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      len = 2;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      uint8_t cc = uint8_t(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    // Reject overlong forms, surrogates and values past U+10FFFF.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) {
      return false;
    }
    i += len;
  }
  return true;
}

std::optional<NodeKind> KindFromOwner(int64_t owner, int64_t* ttl_ms) {
  if (owner == 0) return NodeKind::kPersistent;
  if (owner == ephemeral_owner::kContainer) return NodeKind::kContainer;
  if ((owner & ephemeral_owner::kTtlMask) == ephemeral_owner::kTtlMask) {
    if (ttl_ms) *ttl_ms = owner & ephemeral_owner::kMaxTtl;
    return NodeKind::kTtl;
  }
  return std::nullopt;
}

std::optional<int32_t> ParsePerms(std::string_view letters) {
  int32_t p = 0;
  for (char c : letters) {
    int32_t bit = PermBit(c);
    if (bit == 0) return std::nullopt;
    p |= bit;
  }
  return p;
}

Json EncodeDump(const Dump& dump) {
  Json nodes = Json::array();
  for (const auto& n : dump.nodes) {
    Json j;
    j["path"] = n.rel_path;
    if (IsValidUtf8(n.data)) {
      j["data"] = n.data;
    } else {
      j["data_base64"] = Base64Encode(n.data);
    }
    j["acl"] = AclJson(n.acl);
    if (n.kind == NodeKind::kContainer) j["mode"] = "container";
    if (n.kind == NodeKind::kTtl) {
      j["mode"] = "ttl";
      j["ttl_ms"] = n.ttl_ms;
    }
    nodes.push_back(std::move(j));
  }
  return Json{
      {"format", kFormat}, {"version", kVersion}, {"path", dump.path}, {"nodes", std::move(nodes)}};
}

std::optional<Dump> DecodeDump(const Json& json, std::string* error) {
  auto fail = [&](std::string msg) -> std::optional<Dump> {
    if (error) *error = std::move(msg);
    return std::nullopt;
  };
  if (!json.is_object() || json.value("format", "") != kFormat) {
    return fail("not a zkcli dump (no \"format\": \"zkcli-dump\")");
  }
  if (!json.contains("version") || !json["version"].is_number_integer() ||
      json["version"].get<int>() != kVersion) {
    return fail("unsupported dump version (this zkcli reads version 1)");
  }
  if (!json.contains("nodes") || !json["nodes"].is_array()) return fail("dump has no node list");
  Dump dump;
  if (json.contains("path") && json["path"].is_string()) dump.path = json["path"];
  std::set<std::string> seen;
  size_t index = 0;
  for (const auto& j : json["nodes"]) {
    std::string where = "node #" + std::to_string(index++);
    if (!j.is_object() || !j.contains("path") || !j["path"].is_string()) {
      return fail(where + ": no \"path\"");
    }
    DumpNode n;
    n.rel_path = j["path"];
    const std::string& p = n.rel_path;
    where = "node \"" + p + "\"";
    if (!p.empty()) {
      if (p[0] != '/' || p.back() == '/' || p.find("//") != std::string::npos) {
        return fail(where + ": path must be \"\" or start with '/' below the root");
      }
      std::string parent = p.substr(0, p.rfind('/'));
      if (!seen.count(parent)) return fail(where + ": its parent comes later or is missing");
    } else if (!seen.empty()) {
      return fail(where + ": the root must come first");
    }
    if (!seen.insert(p).second) return fail(where + ": listed twice");
    if (j.contains("data_base64")) {
      if (!j["data_base64"].is_string()) return fail(where + ": data_base64 is not a string");
      auto d = Base64Decode(j["data_base64"].get<std::string>());
      if (!d) return fail(where + ": data_base64 is not valid base64");
      n.data = std::move(*d);
    } else if (j.contains("data") && !j["data"].is_null()) {
      if (!j["data"].is_string()) return fail(where + ": data is not a string");
      n.data = j["data"];
    }
    if (j.contains("acl")) {
      if (!j["acl"].is_array()) return fail(where + ": acl is not a list");
      for (const auto& a : j["acl"]) {
        if (!a.is_object() || !a.contains("scheme") || !a.contains("id") || !a.contains("perms") ||
            !a["scheme"].is_string() || !a["id"].is_string() || !a["perms"].is_string()) {
          return fail(where + ": acl entries need scheme, id and perms strings");
        }
        auto perms = ParsePerms(a["perms"].get<std::string>());
        if (!perms) return fail(where + ": bad perms \"" + a["perms"].get<std::string>() + "\"");
        n.acl.push_back(proto::Acl{*perms, proto::Id{a["scheme"], a["id"]}});
      }
    }
    std::string mode = j.contains("mode") && j["mode"].is_string() ? j["mode"] : "persistent";
    if (mode == "container") {
      n.kind = NodeKind::kContainer;
    } else if (mode == "ttl") {
      n.kind = NodeKind::kTtl;
      if (!j.contains("ttl_ms") || !j["ttl_ms"].is_number_integer() ||
          j["ttl_ms"].get<int64_t>() <= 0) {
        return fail(where + ": ttl nodes need a positive ttl_ms");
      }
      n.ttl_ms = j["ttl_ms"];
    } else if (mode != "persistent") {
      return fail(where + ": unknown mode \"" + mode + "\"");
    }
    dump.nodes.push_back(std::move(n));
  }
  if (dump.nodes.empty()) return fail("dump has no nodes");
  return dump;
}

}  // namespace zk::zkcli
