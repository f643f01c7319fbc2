#include "envs/registry.h"

#include <functional>
#include <stdexcept>
#include <utility>

#include "envs/cheetah/cheetah.h"
#include "envs/sawyer/sawyer.h"

namespace ctpg {
namespace {

// A task family: which names it owns and its batch factory.
struct Family {
  std::function<bool(const std::string&)> owns;
  std::function<std::vector<std::unique_ptr<Env>>(const std::vector<std::string>&)> make;
};

std::vector<Family> Families(const std::string& metaworld_asset_dir,
                             const std::string& gymnasium_asset_dir) {
  std::vector<Family> families;
  families.push_back({IsCheetahTask, [&](const std::vector<std::string>& names) {
                        return MakeCheetahEnvs(names, gymnasium_asset_dir);
                      }});
  families.push_back({IsSawyerTask, [&](const std::vector<std::string>& names) {
                        return MakeSawyerEnvs(names, metaworld_asset_dir);
                      }});
  return families;
}

std::string JoinKnownNames() {
  std::string out;
  for (const std::string& name : KnownTaskNames()) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

}  // namespace

std::vector<std::string> KnownTaskNames() {
  std::vector<std::string> names = CheetahTaskNames();
  for (std::string& name : SawyerTaskNames()) names.push_back(std::move(name));
  return names;
}

std::vector<std::unique_ptr<Env>> MakeEnvs(const std::vector<std::string>& names,
                                           const std::string& metaworld_asset_dir,
                                           const std::string& gymnasium_asset_dir) {
  if (names.empty()) throw std::invalid_argument("task_names: expected at least one task");
  const std::vector<Family> families = Families(metaworld_asset_dir, gymnasium_asset_dir);
  // members[f]: positions in `names` of the tasks family f builds.
  std::vector<std::vector<size_t>> members(families.size());
  for (size_t i = 0; i < names.size(); ++i) {
    size_t f = 0;
    while (f < families.size() && !families[f].owns(names[i])) ++f;
    if (f == families.size()) {
      throw std::invalid_argument("task_names: unknown task '" + names[i] +
                                  "'; known tasks: " + JoinKnownNames());
    }
    members[f].push_back(i);
  }
  std::vector<std::unique_ptr<Env>> envs(names.size());
  for (size_t f = 0; f < families.size(); ++f) {
    if (members[f].empty()) continue;
    std::vector<std::string> subset;
    for (size_t i : members[f]) subset.push_back(names[i]);
    std::vector<std::unique_ptr<Env>> made = families[f].make(subset);
    if (made.size() != subset.size()) {
      throw std::runtime_error("task family built " + std::to_string(made.size()) + " envs for " +
                               std::to_string(subset.size()) + " tasks");
    }
    for (size_t k = 0; k < members[f].size(); ++k) envs[members[f][k]] = std::move(made[k]);
  }
  return envs;
}

}  // namespace ctpg
