// Task-name dispatch: builds the native env of every named task from the
// family that knows it, keeping the order of the names.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "envs/env.h"

namespace ctpg {

// Every task name the native engine can build.
std::vector<std::string> KnownTaskNames();

// One env per name, in order. Envs of one family are built in one batch so
// that they can share read-only model data. Throws std::invalid_argument for
// an empty list or an unknown name (the message lists the known names).
std::vector<std::unique_ptr<Env>> MakeEnvs(const std::vector<std::string>& names,
                                           const std::string& metaworld_asset_dir,
                                           const std::string& gymnasium_asset_dir);

}  // namespace ctpg
