// zkcli's `stat4`: one four-letter word sent to every server of the connect string, the answers
// side by side.
#include <iostream>
#include <map>

#include "client/connect_string.h"
#include "client/zkcli/commands.h"
#include "client/zkcli/four_letter.h"
#include "client/zkcli/shell.h"

namespace zk::zkcli {

void RunStat4(Shell& shell, const ParsedArgs& args) {
  std::string word = args.positional.empty() ? "srvr" : args.positional[0];
  if (word.size() != 4) throw CommandError{kExitUsage, "stat4: a four-letter word has 4 letters"};
  auto cs = client::ParseConnectString(shell.server());
  if (!cs) throw CommandError{kExitUsage, "stat4: cannot parse the server list " + shell.server()};
  struct Answer {
    std::string server;
    FourLetterAnswer answer;
    std::vector<std::pair<std::string, std::string>> values;
  };
  std::vector<Answer> answers;
  bool all_key_values = true;
  for (const auto& hp : cs->hosts) {
    shell.ThrowIfInterrupted();
    Answer a{hp.host + ":" + std::to_string(hp.port),
             SendFourLetterWord(hp.host, hp.port, word, std::chrono::seconds(3)),
             {}};
    if (a.answer.ok) {
      a.values = ParseKeyValues(a.answer.text);
      if (a.values.empty()) all_key_values = false;
    }
    answers.push_back(std::move(a));
  }
  bool any_ok = false;
  for (const auto& a : answers) any_ok |= a.answer.ok;
  if (shell.json()) {
    Json servers = Json::array();
    for (const auto& a : answers) {
      Json j{{"server", a.server}, {"ok", a.answer.ok}};
      if (a.answer.ok) {
        j["answer"] = a.answer.text;
        if (!a.values.empty()) {
          Json v = Json::object();
          for (const auto& [k, val] : a.values) v[k] = val;
          j["values"] = std::move(v);
        }
      } else {
        j["error"] = a.answer.error;
      }
      servers.push_back(std::move(j));
    }
    shell.EmitJson(Json{{"word", word}, {"servers", std::move(servers)}});
  } else if (all_key_values && any_ok) {
    // One row per key (in the order the first answering server gave them), one column per server.
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> header = {""}, status = {"status"};
    std::vector<std::string> keys;
    std::vector<std::map<std::string, std::string>> maps;
    for (const auto& a : answers) {
      header.push_back(a.server);
      status.push_back(a.answer.ok ? "ok" : a.answer.error);
      std::map<std::string, std::string> m;
      for (const auto& [k, v] : a.values) {
        if (m.emplace(k, v).second && std::find(keys.begin(), keys.end(), k) == keys.end()) {
          keys.push_back(k);
        }
      }
      maps.push_back(std::move(m));
    }
    rows.push_back(header);
    rows.push_back(status);
    for (const auto& k : keys) {
      std::vector<std::string> row = {k};
      for (const auto& m : maps) {
        auto it = m.find(k);
        row.push_back(it == m.end() ? "-" : it->second);
      }
      rows.push_back(std::move(row));
    }
    shell.out() << FormatTable(rows);
  } else {
    std::vector<std::vector<std::string>> rows = {{"SERVER", "ANSWER"}};
    bool multi_line = false;
    for (const auto& a : answers) {
      std::string text = a.answer.ok ? a.answer.text : "(" + a.answer.error + ")";
      while (!text.empty() && text.back() == '\n') text.pop_back();
      multi_line |= text.find('\n') != std::string::npos;
      rows.push_back({a.server, text});
    }
    if (multi_line) {
      for (size_t i = 1; i < rows.size(); ++i) {
        shell.out() << "== " << rows[i][0] << " ==\n" << rows[i][1] << "\n";
      }
    } else {
      shell.out() << FormatTable(rows);
    }
  }
  if (!any_ok) throw CommandError{kExitNotConnected, "stat4: no server answered"};
}

}  // namespace zk::zkcli
