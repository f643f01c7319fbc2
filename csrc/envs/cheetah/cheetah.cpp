#include "envs/cheetah/cheetah.h"

#include <map>
#include <stdexcept>

#include "envs/cheetah/cheetah_env.h"
#include "envs/cheetah/cheetah_model.h"

namespace ctpg {

bool IsCheetahTask(const std::string& name) { return FindCheetahVariant(name) != nullptr; }

std::vector<std::string> CheetahTaskNames() {
  std::vector<std::string> names;
  for (int i = 0; i < NumCheetahVariants(); ++i) names.emplace_back(CheetahVariantAt(i).name);
  return names;
}

std::vector<std::unique_ptr<Env>> MakeCheetahEnvs(const std::vector<std::string>& tasks,
                                                  const std::string& gymnasium_asset_dir) {
  std::map<std::string, std::shared_ptr<const mjModel>> models;
  std::vector<std::unique_ptr<Env>> envs;
  envs.reserve(tasks.size());
  for (const std::string& task : tasks) {
    const CheetahVariant* variant = FindCheetahVariant(task);
    if (variant == nullptr) {
      throw std::invalid_argument("task_names: '" + task + "' is not a HalfCheetah task");
    }
    std::shared_ptr<const mjModel>& model = models[task];
    if (!model) model = BuildCheetahModel(*variant, gymnasium_asset_dir);
    envs.push_back(std::make_unique<CheetahEnv>(task, model));
  }
  return envs;
}

}  // namespace ctpg
