// push-back-v3 (SawyerPushBackEnvV3): push a block back toward the robot; its
// own gripper caging reward (an average of caging and gripping).
#include <cmath>

#include "envs/sawyer/task_util.h"
#include "envs/sawyer/tasks.h"

namespace ctpg {
namespace sawyer {
namespace {

enum Id { kObjGeom, kGoalSite };
constexpr double kObjRadius = 0.007;
constexpr double kTargetRadius = 0.05;
// The Python source keeps hand_init_pos in float32.
constexpr Vec3 kHandInit = {0.0, static_cast<double>(0.6f), static_cast<double>(0.2f)};

// adjust_initObjPos keeps only the settled objGeom height (read before any
// forward); object and target take the vector's x, y at that height.
void Reset(SawyerEnv& env, const double* vec) {
  TaskState& s = env.state();
  const double obj_z = env.geom_xpos(env.id(kObjGeom))[2];
  s.target_pos = {vec[3], vec[4], obj_z};
  s.obj_init_pos = {vec[0], vec[1], obj_z};
  SetObjXyz(env, s.obj_init_pos.data());
  env.SetSitePos(env.id(kGoalSite), s.target_pos.data());
}

void Objects(const SawyerEnv& env, double* out) {
  const int geom = env.id(kObjGeom);
  PoseWithMatrixQuat(env.geom_xpos(geom), env.data()->geom_xmat + 9 * geom, out);
}

// SawyerPushBackEnvV3._gripper_caging_reward: y caging and gripping of both
// pads (init_left_pad / init_right_pad are live views, i.e. the current pads),
// xz caging of the tcp; (caging + gripping) / 2.
double CagingReward(const SawyerEnv& env, const double* obj) {
  constexpr double kPadMargin = 0.05;
  constexpr double kGripMargin = kObjRadius + 0.003;
  constexpr double kXzMargin = 0.01;
  const double deltas[2] = {obj[1] - env.right_pad()[1], env.left_pad()[1] - obj[1]};
  const double pads_y[2] = {env.right_pad()[1], env.left_pad()[1]};
  double caging[2], gripping[2];
  for (int i = 0; i < 2; ++i) {
    const double margin = std::abs(std::abs(obj[1] - pads_y[i]) - kPadMargin);
    caging[i] = Tolerance(deltas[i], kObjRadius, kPadMargin, margin, Sigmoid::kLongTail);
    gripping[i] = Tolerance(deltas[i], kObjRadius, kGripMargin, margin, Sigmoid::kLongTail);
  }
  const double y_caging = HamacherProduct(caging[0], caging[1]);
  const double y_gripping = HamacherProduct(gripping[0], gripping[1]);
  double tcp[3];
  env.TcpCenter(tcp);
  const TaskState& s = env.state();
  const double tcp_obj[3] = {tcp[0] - obj[0], 0.0, tcp[2] - obj[2]};
  const double init[3] = {s.obj_init_pos[0] - s.init_tcp[0], 0.0,
                          s.obj_init_pos[2] - s.init_tcp[2]};
  const double xz_caging =
      Tolerance(Norm3(tcp_obj), 0.0, kXzMargin, Norm3(init) - kXzMargin, Sigmoid::kLongTail);
  const double cage = HamacherProduct(y_caging, xz_caging);
  const double grip = cage > 0.95 ? y_gripping : 0.0;
  return (cage + grip) / 2.0;
}

RewardResult Reward(SawyerEnv& env, const double* obs, const float* /*action*/) {
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
  const double grasped = CagingReward(env, obj);
  double reward = HamacherProduct(grasped, in_place);
  if (tcp_to_obj < 0.01 && 0 < tcp_opened && tcp_opened < 0.55 &&
      target_to_obj_init - target_to_obj > 0.01) {
    reward += 1.0 + 5.0 * in_place;
  }
  if (target_to_obj < kTargetRadius) reward = 10.0;
  const bool grasp_success =
      env.TouchingObject(env.id(kObjGeom)) && tcp_opened > 0 && obj[2] - 0.02 > s.obj_init_pos[2];
  return MakeResult(reward, target_to_obj <= 0.07, tcp_to_obj <= 0.03, grasp_success, grasped,
                    in_place, target_to_obj);
}

}  // namespace

const TaskSpec& PushBackTask() {
  static const TaskSpec spec = {
      .name = "push-back-v3",
      .xml = "sawyer_push_back_v3.xml",
      .hand_init = kHandInit,
      .vec_dim = 6,
      .vec_low = {-0.1, 0.8, 0.02, -0.1, 0.6, 0.0199},
      .vec_high = {0.1, 0.85, 0.02, 0.1, 0.7, 0.0201},
      .goal_low = {-0.1, 0.6, 0.0199},
      .goal_high = {0.1, 0.7, 0.0201},
      .ids = {{{mjOBJ_GEOM, "objGeom"}, {mjOBJ_SITE, "goal"}}},
      .min_planar_gap = 0.15,
      .reset = Reset,
      .objects = Objects,
      .reward = Reward,
  };
  return spec;
}

}  // namespace sawyer
}  // namespace ctpg
