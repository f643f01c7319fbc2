// pick-place-v3 (SawyerPickPlaceEnvV3): grasp a puck and place it at a goal
// in the air. Uses its own caging reward (live pad positions as "init").
#include <cmath>

#include "envs/sawyer/task_util.h"
#include "envs/sawyer/tasks.h"

namespace ctpg {
namespace sawyer {
namespace {

enum Id { kObjBody, kObjGeom, kGoalSite };
constexpr double kTargetRadius = 0.05;

void EditModel(SawyerEnv& env, const double* vec) { env.SetSitePos(env.id(kGoalSite), vec + 3); }

void Reset(SawyerEnv& env, const double* vec) {
  TaskState& s = env.state();
  s.target_pos = {vec[3], vec[4], vec[5]};
  s.obj_init_pos = {vec[0], vec[1], vec[2]};
  SetObjXyz(env, s.obj_init_pos.data());
}

void Objects(const SawyerEnv& env, double* out) {
  PoseWithMatrixQuat(env.body_xpos(env.id(kObjBody)), env.data()->geom_xmat + 9 * env.id(kObjGeom),
                     out);
}

// SawyerPickPlaceEnvV3._gripper_caging_reward.
PyNum CagingReward(const SawyerEnv& env, const float* action, const double* obj) {
  constexpr double kPadMargin = 0.05;
  constexpr double kXzMargin = 0.005;
  constexpr double kObjRadius = 0.015;
  const TaskState& s = env.state();
  double tcp[3];
  env.TcpCenter(tcp);
  const double* left_pad = env.left_pad();
  const double* right_pad = env.right_pad();
  const double right_margin = std::abs(std::abs(obj[1] - right_pad[1]) - kPadMargin);
  const double left_margin = std::abs(std::abs(obj[1] - left_pad[1]) - kPadMargin);
  const double right_caging =
      Tolerance(obj[1] - right_pad[1], kObjRadius, kPadMargin, right_margin, Sigmoid::kLongTail);
  const double left_caging =
      Tolerance(left_pad[1] - obj[1], kObjRadius, kPadMargin, left_margin, Sigmoid::kLongTail);
  const double y_caging = HamacherProduct(left_caging, right_caging);
  const double* init_obj = s.obj_init_pos.data();
  const double* init_tcp = s.init_tcp.data();
  const double xz_norm = Norm2(tcp[0] - obj[0], tcp[2] - obj[2]);
  const double xz_margin = Norm2(init_obj[0] - init_tcp[0], init_obj[2] - init_tcp[2]) - kXzMargin;
  const double xz_caging = Tolerance(xz_norm, 0.0, kXzMargin, xz_margin, Sigmoid::kLongTail);
  const PyNum gripper_closed = ClampedEffort(action[3]);
  const double caging = HamacherProduct(y_caging, xz_caging);
  const PyNum gripping = caging > 0.97 ? gripper_closed : PyNum{0.0, false};
  PyNum out = HamacherProduct(PyNum{caging, false}, gripping);
  if (out.f32) {
    out.value = (static_cast<float>(out.value) + static_cast<float>(caging)) / 2.0f;
  } else {
    out.value = (out.value + caging) / 2.0;
  }
  return out;
}

RewardResult Reward(SawyerEnv& env, const double* obs, const float* action) {
  const TaskState& s = env.state();
  const double* obj = obs + 4;
  const double tcp_opened = obs[3];
  double tcp[3];
  env.TcpCenter(tcp);
  const double obj_to_target = Dist3(obj, s.target_pos.data());
  const double tcp_to_obj = Dist3(obj, tcp);
  const double margin = Dist3(s.obj_init_pos.data(), s.target_pos.data());
  const double in_place = Tolerance(obj_to_target, 0.0, kTargetRadius, margin, Sigmoid::kLongTail);
  const PyNum grasped = CagingReward(env, action, obj);
  const PyNum combined = HamacherProduct(grasped, PyNum{in_place, false});
  double reward = combined.value;
  if (tcp_to_obj < 0.02 && tcp_opened > 0 && obj[2] - 0.01 > s.obj_init_pos[2]) {
    reward = AddPyFloat(combined, 1.0 + 5.0 * in_place).value;
  }
  if (obj_to_target < kTargetRadius) reward = 10.0;
  const bool grasp_success =
      env.TouchingObject(env.id(kObjGeom)) && tcp_opened > 0 && obj[2] - 0.02 > s.obj_init_pos[2];
  return MakeResult(reward, obj_to_target <= 0.07, tcp_to_obj <= 0.03, grasp_success, grasped.value,
                    in_place, obj_to_target);
}

}  // namespace

const TaskSpec& PickPlaceTask() {
  static const TaskSpec spec = {
      .name = "pick-place-v3",
      .xml = "sawyer_pick_place_v3.xml",
      .hand_init = {0.0, 0.6, 0.2},
      .vec_dim = 6,
      .vec_low = {-0.1, 0.6, 0.02, -0.1, 0.8, 0.05},
      .vec_high = {0.1, 0.7, 0.02, 0.1, 0.9, 0.3},
      .goal_low = {-0.1, 0.8, 0.05},
      .goal_high = {0.1, 0.9, 0.3},
      .ids = {{{mjOBJ_BODY, "obj"}, {mjOBJ_GEOM, "objGeom"}, {mjOBJ_SITE, "goal"}}},
      .min_planar_gap = 0.15,
      .edit_model = EditModel,
      .reset = Reset,
      .objects = Objects,
      .reward = Reward,
  };
  return spec;
}

}  // namespace sawyer
}  // namespace ctpg
