// assembly-v3 and disassemble-v3 (SawyerNutAssemblyEnvV3 /
// SawyerNutDisassembleEnvV3): one wrench-and-peg model; put the wrench's ring
// onto the peg, or lift it off.
#include <algorithm>
#include <cmath>

#include "envs/sawyer/task_util.h"
#include "envs/sawyer/tasks.h"

namespace ctpg {
namespace sawyer {
namespace {

enum Id { kPegBody, kPegTopSite, kHandleSite, kNutSite, kNutBody };
constexpr double kHandleLength = 0.02;  // WRENCH_HANDLE_LENGTH
constexpr double kIdealQuat[4] = {0.707, 0.0, 0.0, 0.707};

// Observed wrench pose: the handle site and the nut body's MuJoCo quaternion.
void Objects(const SawyerEnv& env, double* out) {
  const double* pos = env.site_xpos(env.id(kHandleSite));
  std::copy(pos, pos + 3, out);
  const double* quat = env.data()->xquat + 4 * env.id(kNutBody);
  std::copy(quat, quat + 4, out + 3);
}

// The wrench handle as _gripper_caging_reward sees it: x snapped to the hand's
// when within half a handle length.
void ThreshedWrench(const double* obs, double* out) {
  std::copy(obs + 4, obs + 7, out);
  if (std::abs(obs[4] - obs[0]) < kHandleLength / 2.0) out[0] = obs[0];
}

// _reward_quat: max(1 - |quat - ideal| / 0.4, 0).
double QuatReward(const double* obs) {
  return std::max(1.0 - QuatError(obs + 7, kIdealQuat) / 0.4, 0.0);
}

void AssemblyEditModel(SawyerEnv& env, const double* vec) {
  const double peg[3] = {vec[3] - 0.0, vec[4] - 0.0, vec[5] - 0.05};
  env.SetBodyPos(env.id(kPegBody), peg);
  env.SetSitePos(env.id(kPegTopSite), vec + 3);
}

void AssemblyReset(SawyerEnv& env, const double* vec) {
  TaskState& s = env.state();
  s.obj_init_pos = {vec[0], vec[1], vec[2]};
  s.target_pos = {vec[3], vec[4], vec[5]};
  SetObjXyz(env, s.obj_init_pos.data());
}

// SawyerNutAssemblyEnvV3._reward_pos: in_place and success (ring around the
// peg and below its top); the height target is a funnel centered on the peg.
double AssemblyInPlace(const double* center, const double* target, bool* success) {
  double error[3] = {target[0] - center[0], target[1] - center[1], target[2] - center[2]};
  const double radius = Norm2(error[0], error[1]);
  *success = radius < 0.02 && error[2] > 0.0;
  const double threshold = *success ? 0.02 : 0.01;
  double target_height = 0.0;
  if (radius > threshold) target_height = 0.02 * std::log(radius - threshold) + 0.2;
  error[2] = target_height - center[2];
  const double scaled[3] = {error[0] * 1.0, error[1] * 1.0, error[2] * 3.0};
  const bool lifted = center[2] > 0.02 || radius < threshold;
  return 0.1 * static_cast<double>(lifted) +
         0.9 * Tolerance(Norm3(scaled), 0.0, 0.02, 0.4, Sigmoid::kLongTail);
}

RewardResult AssemblyReward(SawyerEnv& env, const double* obs, const float* action) {
  double wrench[3];
  ThreshedWrench(obs, wrench);
  const double quat = QuatReward(obs);
  CagingParams caging{0.015, 0.02, 0.01, 0.01, false};
  caging.medium_density = true;
  const PyNum grab = env.GripperCagingReward(action, wrench, caging);
  bool success = false;
  const double in_place =
      AssemblyInPlace(env.site_xpos(env.id(kNutSite)), env.state().target_pos.data(), &success);
  double reward = GrabPlaceQuatReward(grab, in_place, quat);
  if (success) reward = 10.0;
  return MakeResult(reward, success, quat, grab.value >= 0.5, grab.value, in_place, 0.0);
}

void DisassembleEditModel(SawyerEnv& env, const double* vec) {
  const double peg[3] = {vec[0] + 0.0, vec[1] + 0.0, vec[2] + 0.03};
  const double peg_top[3] = {vec[0] + 0.0, vec[1] + 0.0, vec[2] + 0.08};
  env.SetBodyPos(env.id(kPegBody), peg);
  env.SetSitePos(env.id(kPegTopSite), peg_top);
}

// MetaWorld runs mj_forward between its peg edits and _set_obj_xyz.
void DisassembleReset(SawyerEnv& env, const double* vec) {
  TaskState& s = env.state();
  s.obj_init_pos = {vec[0], vec[1], vec[2]};
  s.target_pos = {vec[0] + 0.0, vec[1] + 0.0, vec[2] + 0.15};
  env.Forward();
  SetObjXyz(env, s.obj_init_pos.data());
}

RewardResult DisassembleReward(SawyerEnv& env, const double* obs, const float* action) {
  const double* target = env.state().target_pos.data();
  double wrench[3];
  ThreshedWrench(obs, wrench);
  const double quat = QuatReward(obs);
  const PyNum grab = env.GripperCagingReward(action, wrench, {0.015, 0.02, 0.01, 0.01, true});
  const double* center = env.site_xpos(env.id(kNutSite));
  const double above[3] = {target[0] + 0.0, target[1] + 0.0, target[2] + 0.1};
  const double lifted = center[2] > 0.02 ? 1.0 : 0.0;
  const double in_place =
      0.1 * lifted + 0.9 * Tolerance(Dist3(above, center), 0.0, 0.02, 0.2, Sigmoid::kLongTail);
  double reward = GrabPlaceQuatReward(grab, in_place, quat);
  const bool success = obs[6] > target[2];
  if (success) reward = 10.0;
  return MakeResult(reward, success, quat, grab.value >= 0.5, grab.value, in_place, 0.0);
}

constexpr std::array<NamedId, kMaxTaskIds> kIds = {{{mjOBJ_BODY, "peg"},
                                                    {mjOBJ_SITE, "pegTop"},
                                                    {mjOBJ_SITE, "RoundNut-8"},
                                                    {mjOBJ_SITE, "RoundNut"},
                                                    {mjOBJ_BODY, "RoundNut"}}};
// The Python sources keep hand_init_pos in float32.
constexpr Vec3 kAssemblyHandInit = {0.0, static_cast<double>(0.6f), static_cast<double>(0.2f)};
constexpr Vec3 kDisassembleHandInit = {0.0, static_cast<double>(0.4f), static_cast<double>(0.2f)};

}  // namespace

const TaskSpec& AssemblyTask() {
  static const TaskSpec spec = {
      .name = "assembly-v3",
      .xml = "sawyer_assembly_peg.xml",
      .hand_init = kAssemblyHandInit,
      .vec_dim = 6,
      .vec_low = {0.0, 0.6, 0.02, -0.1, 0.75, 0.1},
      .vec_high = {0.0, 0.6, 0.02, 0.1, 0.85, 0.1},
      .goal_low = {-0.1, 0.75, 0.1},
      .goal_high = {0.1, 0.85, 0.1},
      .ids = kIds,
      .min_planar_gap = 0.1,
      .edit_model = AssemblyEditModel,
      .reset = AssemblyReset,
      .objects = Objects,
      .reward = AssemblyReward,
  };
  return spec;
}

// The peg is moved under the wrench's starting place, which it touches while
// the hand settles.
const TaskSpec& DisassembleTask() {
  static const TaskSpec spec = {
      .name = "disassemble-v3",
      .xml = "sawyer_assembly_peg.xml",
      .hand_init = kDisassembleHandInit,
      .vec_dim = 6,
      .vec_low = {0.0, 0.6, 0.025, -0.1, 0.6, 0.1699},
      .vec_high = {0.1, 0.75, 0.02501, 0.1, 0.75, 0.1701},
      .goal_low = {-0.1 + 0.0, 0.6 + 0.0, 0.1699 + 0.005},
      .goal_high = {0.1 + 0.0, 0.75 + 0.0, 0.1701 + 0.005},
      .ids = kIds,
      .settle_depends_on_vector = true,
      .min_planar_gap = 0.1,
      .edit_model = DisassembleEditModel,
      .reset = DisassembleReset,
      .objects = Objects,
      .reward = DisassembleReward,
  };
  return spec;
}

}  // namespace sawyer
}  // namespace ctpg
