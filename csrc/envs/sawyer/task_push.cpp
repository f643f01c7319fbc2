// push-v3 (SawyerPushEnvV3): push a puck to a goal on the table.
#include "envs/sawyer/task_util.h"
#include "envs/sawyer/tasks.h"

namespace ctpg {
namespace sawyer {
namespace {

enum Id { kObjBody, kObjGeom, kGoalSite };
constexpr double kTargetRadius = 0.05;

void Reset(SawyerEnv& env, const double* vec) {
  TaskState& s = env.state();
  const double obj_z = env.body_xpos(env.id(kObjBody))[2];
  s.target_pos = {vec[3], vec[4], obj_z};
  s.obj_init_pos = {vec[0], vec[1], obj_z};
  SetObjXyz(env, s.obj_init_pos.data());
  env.SetSitePos(env.id(kGoalSite), s.target_pos.data());
}

void Objects(const SawyerEnv& env, double* out) {
  PoseWithMatrixQuat(env.body_xpos(env.id(kObjBody)), env.data()->geom_xmat + 9 * env.id(kObjGeom),
                     out);
}

RewardResult Reward(SawyerEnv& env, const double* obs, const float* action) {
  const TaskState& s = env.state();
  const double* obj = obs + 4;
  const double tcp_opened = obs[3];
  double tcp[3];
  env.TcpCenter(tcp);
  const double tcp_to_obj = Dist3(obj, tcp);
  const double target_to_obj = Dist3(obj, s.target_pos.data());
  const double target_to_obj_init = Dist3(s.obj_init_pos.data(), s.target_pos.data());
  const double in_place =
      Tolerance(target_to_obj, 0.0, kTargetRadius, target_to_obj_init, Sigmoid::kLongTail);
  const PyNum grasped = env.GripperCagingReward(action, obj, {0.015, 0.05, 0.01, 0.005, true});
  PyNum reward{2.0 * grasped.value, grasped.f32};  // 2 * x is exact in both
  if (tcp_to_obj < 0.02 && tcp_opened > 0) {
    // reward += 1.0 + reward + 5.0 * in_place
    const PyNum rhs = AddPyFloat(AddPyFloat(reward, 1.0), 5.0 * in_place);
    reward = AddPyFloat(reward, rhs.value);
  }
  if (target_to_obj < kTargetRadius) reward = PyNum{10.0, false};
  const bool grasp_success =
      env.TouchingObject(env.id(kObjGeom)) && tcp_opened > 0 && obj[2] - 0.02 > s.obj_init_pos[2];
  return MakeResult(reward.value, target_to_obj <= kTargetRadius, tcp_to_obj <= 0.03, grasp_success,
                    grasped.value, in_place, target_to_obj);
}

}  // namespace

const TaskSpec& PushTask() {
  static const TaskSpec spec = {
      .name = "push-v3",
      .xml = "sawyer_push_v3.xml",
      .hand_init = {0.0, 0.6, 0.2},
      .vec_dim = 6,
      .vec_low = {-0.1, 0.6, 0.02, -0.1, 0.8, 0.01},
      .vec_high = {0.1, 0.7, 0.02, 0.1, 0.9, 0.02},
      .goal_low = {-0.1, 0.8, 0.01},
      .goal_high = {0.1, 0.9, 0.02},
      .ids = {{{mjOBJ_BODY, "obj"}, {mjOBJ_GEOM, "objGeom"}, {mjOBJ_SITE, "goal"}}},
      .min_planar_gap = 0.15,
      .reset = Reset,
      .objects = Objects,
      .reward = Reward,
  };
  return spec;
}

}  // namespace sawyer
}  // namespace ctpg
