// hammer-v3 (SawyerHammerEnvV3): grasp a hammer and drive a nail into a block.
#include <algorithm>
#include <cmath>

#include "envs/sawyer/task_util.h"
#include "envs/sawyer/tasks.h"

namespace ctpg {
namespace sawyer {
namespace {

enum Id { kBoxBody, kGoalSite, kHammerBody, kNailBody, kNailJoint };
constexpr double kHandleLength = 0.14;  // HAMMER_HANDLE_LENGTH
constexpr double kIdealQuat[4] = {1.0, 0.0, 0.0, 0.0};
// MetaWorld sets the block to its XML position at every reset.
constexpr double kBoxPos[3] = {0.24, 0.85, 0.0};

void EditModel(SawyerEnv& env, const double* /*vec*/) { env.SetBodyPos(env.id(kBoxBody), kBoxPos); }

// The goal site is read before any forward (it rides on the fixed block, so
// the settled kinematics already hold it); then _set_hammer_xyz.
void Reset(SawyerEnv& env, const double* vec) {
  TaskState& s = env.state();
  const double* goal = env.site_xpos(env.id(kGoalSite));
  s.target_pos = {goal[0], goal[1], goal[2]};
  s.obj_init_pos = {vec[0], vec[1], vec[2]};
  SetObjXyz(env, s.obj_init_pos.data());
}

// Hammer and nail: body positions and MuJoCo quaternions.
void Objects(const SawyerEnv& env, double* out) {
  const mjData* d = env.data();
  for (int k = 0; k < 2; ++k) {
    const int body = env.id(k == 0 ? kHammerBody : kNailBody);
    std::copy(d->xpos + 3 * body, d->xpos + 3 * body + 3, out + 7 * k);
    std::copy(d->xquat + 4 * body, d->xquat + 4 * body + 4, out + 7 * k + 3);
  }
}

// SawyerHammerEnvV3._reward_pos.
double InPlace(const double* head, const double* target) {
  const double lifted = head[2] > 0.02 ? 1.0 : 0.0;
  return 0.1 * lifted + 0.9 * Tolerance(Dist3(target, head), 0.0, 0.02, 0.2, Sigmoid::kLongTail);
}

RewardResult Reward(SawyerEnv& env, const double* obs, const float* action) {
  const double* hammer = obs + 4;
  const double head[3] = {hammer[0] + 0.16, hammer[1] + 0.06, hammer[2] + 0.0};
  double threshed[3] = {hammer[0], hammer[1], hammer[2]};
  if (std::abs(hammer[0] - obs[0]) < kHandleLength / 2.0) threshed[0] = obs[0];
  const double quat = std::max(1.0 - QuatError(obs + 7, kIdealQuat) / 0.4, 0.0);
  const PyNum grab = env.GripperCagingReward(action, threshed, {0.015, 0.02, 0.01, 0.01, true});
  const double in_place = InPlace(head, env.state().target_pos.data());
  double reward = GrabPlaceQuatReward(grab, in_place, quat);
  const mjModel* m = env.model();
  const bool success = env.data()->qpos[m->jnt_qposadr[env.id(kNailJoint)]] > 0.09;
  if (success && reward > 5.0) reward = 10.0;
  return MakeResult(reward, success, quat, grab.value >= 0.5, grab.value, in_place, 0.0);
}

}  // namespace

const TaskSpec& HammerTask() {
  static const TaskSpec spec = {
      .name = "hammer-v3",
      .xml = "sawyer_hammer.xml",
      .hand_init = {0.0, 0.4, 0.2},
      .vec_dim = 3,
      .vec_low = {-0.1, 0.4, 0.0},
      .vec_high = {0.1, 0.5, 0.0},
      .goal_low = {0.2399, 0.7399, 0.109},
      .goal_high = {0.2401, 0.7401, 0.111},
      .ids = {{{mjOBJ_BODY, "box"},
               {mjOBJ_SITE, "goal"},
               {mjOBJ_BODY, "hammer"},
               {mjOBJ_BODY, "nail_link"},
               {mjOBJ_JOINT, "NailSlideJoint"}}},
      .edit_model = EditModel,
      .reset = Reset,
      .objects = Objects,
      .reward = Reward,
  };
  return spec;
}

}  // namespace sawyer
}  // namespace ctpg
