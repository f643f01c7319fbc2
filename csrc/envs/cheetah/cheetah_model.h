// The HalfCheetah variants as a table, and the model builder that edits
// gymnasium's half_cheetah.xml with MjSpec before compiling it.
#pragma once

#include <mujoco/mujoco.h>

#include <memory>
#include <string>

namespace ctpg {

// One task: gravity z is -9.81 * gravity_scale; the `size` of every geom named
// in `geoms` (nullptr-terminated, at most 2) is multiplied by size_scale.
struct CheetahVariant {
  const char* name;
  double gravity_scale;
  double size_scale;
  const char* geoms[3];
};

// The variant called `name`, or nullptr.
const CheetahVariant* FindCheetahVariant(const std::string& name);

// Number of variants and the i-th one (MT5 then MT8 order).
int NumCheetahVariants();
const CheetahVariant& CheetahVariantAt(int i);

// Loads `<gymnasium_asset_dir>/half_cheetah.xml`, applies the variant's edits
// and compiles it. Throws std::invalid_argument if loading or compiling fails.
std::shared_ptr<const mjModel> BuildCheetahModel(const CheetahVariant& variant,
                                                 const std::string& gymnasium_asset_dir);

}  // namespace ctpg
