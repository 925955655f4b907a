// libFuzzer target for workspace::WorkspaceParser (docs/fuzzing.md): any text parses without a
// crash or an escaping exception, and every diagnostic names the file and a line:col inside it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "workspace/workspace_parser.h"

namespace {

using namespace codeloc::workspace;

std::optional<std::string> fake_env(const std::string& name) {
  static const std::map<std::string, std::string> vars{
      {"HOME", "/home/ada"}, {"PYTHON", "/usr/bin/python3"}, {"EMPTY", ""}};
  auto it = vars.find(name);
  if (it == vars.end()) return std::nullopt;
  return it->second;
}

[[noreturn]] void fail(const std::string& what) {
  __builtin_printf("workspace_parser_fuzz: %s\n", what.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  static const WorkspaceParser parser(fake_env);
  ParseResult result = parser.parse(text, "workspace.yaml", "/ws");

  int lines = 1;
  for (char c : text)
    lines += c == '\n';
  for (const Diagnostic& d : result.diagnostics) {
    if (d.pos.file != "workspace.yaml") fail("diagnostic without the file: " + d.str());
    if (d.pos.line < 1 || d.pos.column < 1) fail("diagnostic without line:col: " + d.str());
    if (d.pos.line > lines) fail("diagnostic past the last line: " + d.str());
    if (d.message.empty()) fail("diagnostic without a message: " + d.str());
  }
  if (result.ok()) {
    for (const LocationSpec& spec : result.locations)
      if (spec.name.empty()) fail("a valid location without a name");
  }
  return 0;
}
