// The MetaWorld v3 (Sawyer) task family of the native engine.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "envs/env.h"

namespace ctpg {

// True for the MetaWorld task names this family implements ("reach-v3", ...).
bool IsSawyerTask(const std::string& name);

// The implemented MetaWorld task names, in table order.
std::vector<std::string> SawyerTaskNames();

// One env per entry of `tasks`, in order. Envs of the same task share one
// compiled model (loaded from `<metaworld_asset_dir>/sawyer_xyz/`); each env
// keeps private copies of only the arrays its resets edit. Throws
// std::invalid_argument for an unknown name or an unreadable asset.
std::vector<std::unique_ptr<Env>> MakeSawyerEnvs(const std::vector<std::string>& tasks,
                                                 const std::string& metaworld_asset_dir);

}  // namespace ctpg
