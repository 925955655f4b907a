#include "cli/client_command.h"

#include <gtest/gtest.h>

#include "cli/info_report.h"
#include "cli/lifecycle_report.h"
#include "cli/text_table.h"
#include "ipc/protocol.h"

namespace codeloc::cli {
namespace {

using nlohmann::json;

TEST(ClientCommand, AnUnknownLocationIsOneClearLine) {
  ipc::RpcError unknown(ipc::error_code::kUnknownLocation, "unknown location 'nope'",
                        {{"name", "nope"}});
  EXPECT_EQ(describe_rpc_error(unknown), "no location named 'nope' (`codeloc status` lists them)");
  ipc::RpcError other(ipc::error_code::kNotLoaded, "alpha is LOAD_ERROR");
  EXPECT_EQ(describe_rpc_error(other), "alpha is LOAD_ERROR");
}

TEST(TextTable, AlignsColumnsWithoutTrailingSpaces) {
  TextTable table({"NAME", "STATE"});
  table.add_row({"analytics", "LOADED"});
  table.add_row({"ml"});
  EXPECT_EQ(table.render("  "),
            "  NAME       STATE\n"
            "  analytics  LOADED\n"
            "  ml\n");
  EXPECT_EQ(join({}), "-");
  EXPECT_EQ(join({"a", "b"}), "a, b");
}

TEST(InfoReport, KeyValueLinesWithEveryWorkspaceFile) {
  json info = {{"name", "codeloc"},
               {"version", "0.1.0"},
               {"protocol_version", 1},
               {"pid", 1234},
               {"started_at", "2026-11-23T20:00:00Z"},
               {"workspace_files", {"/srv/a.yaml", "/srv/b.yaml"}},
               {"socket", "/run/codeloc/codeloc.sock"},
               {"locations", 3}};
  EXPECT_EQ(render_daemon_info(info),
            "codeloc 0.1.0 (protocol 1)\n"
            "pid        1234\n"
            "started    2026-11-23T20:00:00Z\n"
            "socket     /run/codeloc/codeloc.sock\n"
            "workspace  /srv/a.yaml\n"
            "           /srv/b.yaml\n"
            "locations  3\n");
}

TEST(LifecycleReport, OneStateLineAfterStartStopOrRestart) {
  EXPECT_EQ(render_state_line({{"name", "a"}, {"state", "LOADED"}, {"pid", 42}}, TableStyle{}),
            "a: LOADED (pid 42)\n");
  EXPECT_EQ(render_state_line({{"name", "a"},
                               {"state", "STOPPED"},
                               {"pid", nullptr},
                               {"last_exit", {{"signal", "SIGTERM"}}}},
                              TableStyle{}),
            "a: STOPPED (killed by SIGTERM)\n");
  json broken = {{"name", "b"},
                 {"state", "LOAD_ERROR"},
                 {"pid", 43},
                 {"error",
                  {{"class_name", "ValueError"},
                   {"message", "scripted load error"},
                   {"location", {{"file", "defs.py"}, {"line", 7}}}}}};
  EXPECT_EQ(render_state_line(broken, TableStyle{}),
            "b: LOAD_ERROR (pid 43): ValueError: scripted load error (defs.py:7)\n");
  EXPECT_TRUE(start_failed(broken));
  EXPECT_FALSE(start_failed({{"state", "STOPPED"}, {"error", nullptr}}));
  EXPECT_TRUE(start_failed({{"state", "STOPPED"}, {"error", {{"message", "exited with 3"}}}}));
}

}  // namespace
}  // namespace codeloc::cli
