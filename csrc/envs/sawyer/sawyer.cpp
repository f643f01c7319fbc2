#include "envs/sawyer/sawyer.h"

#include <map>
#include <stdexcept>

#include "envs/sawyer/sawyer_base.h"
#include "envs/sawyer/tasks.h"

namespace ctpg {
namespace {

using sawyer::TaskSpec;

const std::vector<const TaskSpec*>& Table() {
  static const std::vector<const TaskSpec*> table = {
      &sawyer::ReachTask(),
      &sawyer::PushTask(),
      &sawyer::PickPlaceTask(),
      &sawyer::PegInsertSideTask(),
      &sawyer::DoorOpenTask(),
      &sawyer::DrawerOpenTask(),
      &sawyer::DrawerCloseTask(),
      &sawyer::ButtonPressTopdownTask(),
      &sawyer::WindowOpenTask(),
      &sawyer::WindowCloseTask(),
      &sawyer::ButtonPressTask(),
      &sawyer::ButtonPressWallTask(),
      &sawyer::ButtonPressTopdownWallTask(),
      &sawyer::CoffeeButtonTask(),
      &sawyer::CoffeePullTask(),
      &sawyer::CoffeePushTask(),
      &sawyer::DoorCloseTask(),
      &sawyer::DoorLockTask(),
      &sawyer::DoorUnlockTask(),
      &sawyer::FaucetOpenTask(),
      &sawyer::FaucetCloseTask(),
      &sawyer::PlateSlideTask(),
      &sawyer::PlateSlideSideTask(),
      &sawyer::PlateSlideBackTask(),
      &sawyer::PlateSlideBackSideTask(),
      &sawyer::PushWallTask(),
      &sawyer::PushBackTask(),
      &sawyer::ReachWallTask(),
      &sawyer::SoccerTask(),
      &sawyer::StickPushTask(),
      &sawyer::StickPullTask(),
      &sawyer::SweepIntoTask(),
      &sawyer::SweepTask(),
      &sawyer::HandlePressTask(),
      &sawyer::HandlePressSideTask(),
      &sawyer::HandlePullTask(),
      &sawyer::HandlePullSideTask(),
      &sawyer::LeverPullTask(),
      &sawyer::DialTurnTask(),
      &sawyer::PickPlaceWallTask(),
      &sawyer::PickOutOfHoleTask(),
      &sawyer::ShelfPlaceTask(),
      &sawyer::HandInsertTask(),
      &sawyer::BinPickingTask(),
      &sawyer::BasketballTask(),
      &sawyer::AssemblyTask(),
      &sawyer::DisassembleTask(),
      &sawyer::HammerTask(),
      &sawyer::PegUnplugSideTask(),
      &sawyer::BoxCloseTask(),
  };
  return table;
}

const TaskSpec* FindSpec(const std::string& name) {
  for (const TaskSpec* spec : Table()) {
    if (name == spec->name) return spec;
  }
  return nullptr;
}

}  // namespace

bool IsSawyerTask(const std::string& name) { return FindSpec(name) != nullptr; }

std::vector<std::string> SawyerTaskNames() {
  std::vector<std::string> names;
  for (const TaskSpec* spec : Table()) names.emplace_back(spec->name);
  return names;
}

std::vector<std::unique_ptr<Env>> MakeSawyerEnvs(const std::vector<std::string>& tasks,
                                                 const std::string& metaworld_asset_dir) {
  std::map<std::string, std::shared_ptr<const sawyer::TaskModel>> models;
  std::vector<std::unique_ptr<Env>> envs;
  envs.reserve(tasks.size());
  for (const std::string& name : tasks) {
    const TaskSpec* spec = FindSpec(name);
    if (spec == nullptr) {
      throw std::invalid_argument("task_names: '" + name +
                                  "' is not a MetaWorld task of this build");
    }
    auto& model = models[name];
    if (!model) model = sawyer::LoadTaskModel(*spec, metaworld_asset_dir);
    envs.push_back(std::make_unique<sawyer::SawyerEnv>(model));
  }
  return envs;
}

}  // namespace ctpg
