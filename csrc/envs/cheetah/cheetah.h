// HalfCheetah multi-task family: the gravity (MT5) and body-part (MT8)
// variants of gymnasium's HalfCheetah-v5. Task names are
// "halfcheetah-gravity-<scale>" and "halfcheetah-<part>-<big|small>".
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "envs/env.h"

namespace ctpg {

bool IsCheetahTask(const std::string& name);

// Every cheetah task name, in MT5 then MT8 order.
std::vector<std::string> CheetahTaskNames();

// One env per entry of `tasks` (same order). Envs of the same variant share one
// compiled model read-only; each has its own mjData. `gymnasium_asset_dir`
// holds half_cheetah.xml. Throws std::invalid_argument for unknown names or a
// model that does not load.
std::vector<std::unique_ptr<Env>> MakeCheetahEnvs(const std::vector<std::string>& tasks,
                                                  const std::string& gymnasium_asset_dir);

}  // namespace ctpg
