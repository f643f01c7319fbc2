// box-close-v3 (SawyerBoxCloseEnvV3): grasp a lid by its handle and put it on
// a box.
#include <algorithm>
#include <cmath>

#include "envs/sawyer/task_util.h"
#include "envs/sawyer/tasks.h"

namespace ctpg {
namespace sawyer {
namespace {

enum Id { kBoxBody, kGoalSite, kLidBody };
constexpr double kIdealQuat[4] = {0.707, 0.0, 0.0, 0.707};
// init_config's obj_init_pos is float32; its height is kept.
constexpr double kLidHeight = static_cast<double>(0.02f);

// The box moves to the goal's (x, y) at its current height (that of the XML:
// MetaWorld reads it back from the box's frame).
void EditModel(SawyerEnv& env, const double* vec) {
  const int box = env.id(kBoxBody);
  const double pos[3] = {vec[3], vec[4], env.model()->body_pos[3 * box + 2]};
  env.SetBodyPos(box, pos);
  env.SetSitePos(env.id(kGoalSite), vec + 3);
}

// After settling MetaWorld runs frame_skip more mj_step, then _set_obj_xyz.
void Reset(SawyerEnv& env, const double* vec) {
  TaskState& s = env.state();
  s.obj_init_pos = {vec[0], vec[1], kLidHeight};
  s.target_pos = {vec[3], vec[4], vec[5]};
  for (int k = 0; k < kFrameSkip; ++k) mj_step(env.model(), env.data());
  SetObjXyz(env, s.obj_init_pos.data());
}

void Objects(const SawyerEnv& env, double* out) {
  const int lid = env.id(kLidBody);
  const mjData* d = env.data();
  std::copy(d->xpos + 3 * lid, d->xpos + 3 * lid + 3, out);
  std::copy(d->xquat + 4 * lid, d->xquat + 4 * lid + 4, out + 3);
}

// _reward_grab_effort: clip((clip(a, -1, 1) + 1) / 2, 0, 1) in float32.
double GrabEffort(float a) {
  const float clipped = std::min(std::max(a, -1.0f), 1.0f);
  const float effort = (clipped + 1.0f) / 2.0f;
  return static_cast<double>(std::min(std::max(effort, 0.0f), 1.0f));
}

// _reward_pos: (ready_to_lift, lifted). The hand must stay above a funnel
// centered on the lid's handle until it grabs the handle.
void PosRewards(const double* obs, const double* target, double* ready, double* lifted) {
  const double* hand = obs;
  const double lid[3] = {obs[4] + 0.0, obs[5] + 0.0, obs[6] + 0.02};
  const double radius = Norm2(hand[0] - lid[0], hand[1] - lid[1]);
  const double floor = radius <= 0.02 ? 0.0 : 0.04 * std::log(radius - 0.02) + 0.4;
  const double above_floor =
      hand[2] >= floor ? 1.0
                       : Tolerance(floor - hand[2], 0.0, 0.01, floor / 2.0, Sigmoid::kLongTail);
  const double in_place = Tolerance(Dist3(hand, lid), 0.0, 0.02, 0.5, Sigmoid::kLongTail);
  *ready = HamacherProduct(above_floor, in_place);
  const double error[3] = {(target[0] - lid[0]) * 1.0, (target[1] - lid[1]) * 1.0,
                           (target[2] - lid[2]) * 3.0};
  *lifted = 0.2 * (lid[2] > 0.04 ? 1.0 : 0.0) +
            0.8 * Tolerance(Norm3(error), 0.0, 0.05, 0.25, Sigmoid::kLongTail);
}

RewardResult Reward(SawyerEnv& env, const double* obs, const float* action) {
  const double* target = env.state().target_pos.data();
  const double grab = GrabEffort(action[3]);
  const double quat = std::max(1.0 - QuatError(obs + 7, kIdealQuat) / 0.2, 0.0);
  double ready = 0.0;
  double lifted = 0.0;
  PosRewards(obs, target, &ready, &lifted);
  double reward = 2.0 * HamacherProduct(grab, ready) + 8.0 * lifted;
  const bool success = Dist3(obs + 4, target) < 0.08;
  if (success) reward = 10.0;
  reward *= quat;
  return MakeResult(reward, success, ready, grab >= 0.5, grab, lifted, 0.0);
}

// The Python source keeps hand_init_pos in float32.
constexpr Vec3 kHandInit = {0.0, static_cast<double>(0.6f), static_cast<double>(0.2f)};

}  // namespace

// The lid starts on the box's XML place and settles against the moved box.
const TaskSpec& BoxCloseTask() {
  static const TaskSpec spec = {
      .name = "box-close-v3",
      .xml = "sawyer_box.xml",
      .hand_init = kHandInit,
      .vec_dim = 6,
      .vec_low = {-0.05, 0.5, 0.02, -0.1, 0.7, 0.133},
      .vec_high = {0.05, 0.55, 0.02, 0.1, 0.8, 0.133},
      .goal_low = {-0.1, 0.7, 0.133},
      .goal_high = {0.1, 0.8, 0.133},
      .ids = {{{mjOBJ_BODY, "boxbody"}, {mjOBJ_SITE, "goal"}, {mjOBJ_BODY, "top_link"}}},
      .settle_depends_on_vector = true,
      .min_planar_gap = 0.25,
      .edit_model = EditModel,
      .reset = Reset,
      .objects = Objects,
      .reward = Reward,
  };
  return spec;
}

}  // namespace sawyer
}  // namespace ctpg
