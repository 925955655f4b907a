// `codeloc check [-w FILE]... [--json]`: load and validate workspace files, show the result.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "workspace/workspace_loader.h"
#include "workspace/workspace_parser.h"
#include "workspace/workspace_report.h"

namespace codeloc::cli {
namespace {

struct CheckOptions {
  std::vector<std::string> files;
  bool json = false;
};

int run_check(const CheckOptions& options) {
  std::vector<std::string> files = options.files;
  if (files.empty()) files.push_back("workspace.yaml");
  workspace::WorkspaceLoader loader(workspace::process_env());
  workspace::LoadResult result = loader.load(files);
  if (!result.workspace) {
    for (const auto& diagnostic : result.diagnostics)
      std::cerr << diagnostic.str() << "\n";
    if (options.json)
      std::cout << workspace::diagnostics_to_json(result.diagnostics).dump(2) << "\n";
    return kExitFailure;
  }
  if (options.json) {
    std::cout << workspace::workspace_to_json(*result.workspace).dump(2) << "\n";
  } else {
    std::cout << workspace::render_table(*result.workspace);
  }
  return kExitOk;
}

}  // namespace

void add_check_command(CLI::App& app, int* exit_code) {
  auto options = std::make_shared<CheckOptions>();
  auto* cmd = app.add_subcommand(
      "check", "Validate workspace files and print the locations they define (no daemon needed)");
  cmd->add_option("-w,--workspace", options->files,
                  "A workspace.yaml; repeat to merge several in order (default: ./workspace.yaml)")
      ->allow_extra_args(false);
  cmd->add_flag("--json", options->json, "Print the result as JSON");
  cmd->callback([options, exit_code] { *exit_code = run_check(*options); });
}

}  // namespace codeloc::cli
