#include "envs/cheetah/cheetah_model.h"

#include <iterator>
#include <stdexcept>

#include "common/mujoco_util.h"

namespace ctpg {
namespace {

constexpr double kStandardGravity = -9.81;
constexpr double kBig = 1.25;
constexpr double kSmall = 0.75;

constexpr CheetahVariant kVariants[] = {
    {"halfcheetah-gravity-1.0", 1.0, 1.0, {nullptr}},
    {"halfcheetah-gravity-0.5", 0.5, 1.0, {nullptr}},
    {"halfcheetah-gravity-0.75", 0.75, 1.0, {nullptr}},
    {"halfcheetah-gravity-1.5", 1.5, 1.0, {nullptr}},
    {"halfcheetah-gravity-1.25", 1.25, 1.0, {nullptr}},
    {"halfcheetah-torso-big", 1.0, kBig, {"torso", nullptr}},
    {"halfcheetah-torso-small", 1.0, kSmall, {"torso", nullptr}},
    {"halfcheetah-thigh-big", 1.0, kBig, {"bthigh", "fthigh", nullptr}},
    {"halfcheetah-thigh-small", 1.0, kSmall, {"bthigh", "fthigh", nullptr}},
    {"halfcheetah-leg-big", 1.0, kBig, {"bshin", "fshin", nullptr}},
    {"halfcheetah-leg-small", 1.0, kSmall, {"bshin", "fshin", nullptr}},
    {"halfcheetah-foot-big", 1.0, kBig, {"bfoot", "ffoot", nullptr}},
    {"halfcheetah-foot-small", 1.0, kSmall, {"bfoot", "ffoot", nullptr}},
};

// Scales the `size` of a named geom. For a geom whose length comes from
// `fromto`, the compiler derives the length from fromto, so only the radius
// changes.
void ScaleGeomSize(mjSpec* spec, const char* geom_name, double scale) {
  mjsElement* element = mjs_findElement(spec, mjOBJ_GEOM, geom_name);
  if (element == nullptr) {
    throw std::invalid_argument(std::string("gymnasium_asset_dir: half_cheetah.xml has no geom '") +
                                geom_name + "'");
  }
  mjsGeom* geom = mjs_asGeom(element);
  for (double& s : geom->size) s *= scale;
}

}  // namespace

const CheetahVariant* FindCheetahVariant(const std::string& name) {
  for (const CheetahVariant& v : kVariants) {
    if (name == v.name) return &v;
  }
  return nullptr;
}

int NumCheetahVariants() { return static_cast<int>(std::size(kVariants)); }

const CheetahVariant& CheetahVariantAt(int i) { return kVariants[i]; }

std::shared_ptr<const mjModel> BuildCheetahModel(const CheetahVariant& variant,
                                                 const std::string& gymnasium_asset_dir) {
  const std::string path = gymnasium_asset_dir + "/half_cheetah.xml";
  char error[1024] = {0};
  UniqueSpec spec(mj_parseXML(path.c_str(), nullptr, error, sizeof(error)));
  if (!spec) {
    throw std::invalid_argument("gymnasium_asset_dir: cannot load '" + path + "': " + error);
  }
  spec->option.gravity[2] = kStandardGravity * variant.gravity_scale;
  for (const char* const* g = variant.geoms; *g != nullptr; ++g) {
    ScaleGeomSize(spec.get(), *g, variant.size_scale);
  }
  mjModel* model = mj_compile(spec.get(), nullptr);
  if (model == nullptr) {
    throw std::invalid_argument("gymnasium_asset_dir: '" + path +
                                "' does not compile: " + mjs_getError(spec.get()));
  }
  return std::shared_ptr<const mjModel>(
      model, [](const mjModel* m) { mj_deleteModel(const_cast<mjModel*>(m)); });
}

}  // namespace ctpg
