// peg-insert-side-v3 (SawyerPegInsertionSideEnvV3): grasp a peg and insert it
// sideways into a hole in a box.
#include "envs/sawyer/task_util.h"
#include "envs/sawyer/tasks.h"

namespace ctpg {
namespace sawyer {
namespace {

enum Id { kBoxBody, kGoalSite, kPegGraspSite, kPegHeadSite, kBrc1, kTlc1, kBrc2, kTlc2 };
constexpr double kTargetRadius = 0.07;
constexpr double kGoalOffset[3] = {0.03, 0.0, 0.13};

void Target(const double* vec, double* out) {
  for (int i = 0; i < 3; ++i) out[i] = vec[3 + i] + kGoalOffset[i];
}

void EditModel(SawyerEnv& env, const double* vec) {
  env.SetBodyPos(env.id(kBoxBody), vec + 3);
  double target[3];
  Target(vec, target);
  env.SetSitePos(env.id(kGoalSite), target);
}

void Reset(SawyerEnv& env, const double* vec) {
  TaskState& s = env.state();
  s.obj_init_pos = {vec[0], vec[1], vec[2]};
  const double* head = env.site_xpos(env.id(kPegHeadSite));
  s.aux = {head[0], head[1], head[2]};
  SetObjXyz(env, s.obj_init_pos.data());
  Target(vec, s.target_pos.data());
}

void Objects(const SawyerEnv& env, double* out) {
  const int site = env.id(kPegGraspSite);
  PoseWithMatrixQuat(env.site_xpos(site), env.data()->site_xmat + 9 * site, out);
}

double ScaledDist(const double* a, const double* b) {
  const double d[3] = {(a[0] - b[0]) * 1.0, (a[1] - b[1]) * 2.0, (a[2] - b[2]) * 2.0};
  return Norm3(d);
}

RewardResult Reward(SawyerEnv& env, const double* obs, const float* action) {
  const TaskState& s = env.state();
  const double* obj = obs + 4;
  const double tcp_opened = obs[3];
  const double* head = env.site_xpos(env.id(kPegHeadSite));
  double tcp[3];
  env.TcpCenter(tcp);
  const double tcp_to_obj = Dist3(obj, tcp);
  const double obj_to_target = ScaledDist(head, s.target_pos.data());
  const double margin = ScaledDist(s.aux.data(), s.target_pos.data());
  double in_place = Tolerance(obj_to_target, 0.0, kTargetRadius, margin, Sigmoid::kLongTail);
  const double box1 =
      RectPrismTolerance(head, env.site_xpos(env.id(kBrc1)), env.site_xpos(env.id(kTlc1)));
  const double box2 =
      RectPrismTolerance(head, env.site_xpos(env.id(kBrc2)), env.site_xpos(env.id(kTlc2)));
  in_place = HamacherProduct(in_place, HamacherProduct(box2, box1));
  PyNum grasped = env.GripperCagingReward(action, obj, {0.0075, 0.03, 0.01, 0.005, true});
  const bool lifted = tcp_to_obj < 0.08 && tcp_opened > 0 && obj[2] - 0.01 > s.obj_init_pos[2];
  if (lifted) grasped = PyNum{1.0, false};
  const PyNum combined = HamacherProduct(grasped, PyNum{in_place, false});
  double reward = combined.value;
  if (lifted) {
    reward = AddPyFloat(combined, 1.0 + 5.0 * in_place).value;
  }
  if (obj_to_target <= kTargetRadius) reward = 10.0;
  const bool grasp_success =
      tcp_to_obj < 0.02 && tcp_opened > 0 && obj[2] - 0.01 > s.obj_init_pos[2];
  return MakeResult(reward, obj_to_target <= kTargetRadius, tcp_to_obj <= 0.03, grasp_success,
                    grasped.value, in_place, obj_to_target);
}

}  // namespace

const TaskSpec& PegInsertSideTask() {
  static const TaskSpec spec = {
      .name = "peg-insert-side-v3",
      .xml = "sawyer_peg_insertion_side.xml",
      .hand_init = {0.0, 0.6, 0.2},
      .vec_dim = 6,
      .vec_low = {0.0, 0.5, 0.02, -0.35, 0.4, -0.001},
      .vec_high = {0.2, 0.7, 0.02, -0.25, 0.7, 0.001},
      .goal_low = {-0.35 + 0.03, 0.4 + 0.0, -0.001 + 0.13},
      .goal_high = {-0.25 + 0.03, 0.7 + 0.0, 0.001 + 0.13},
      .ids = {{{mjOBJ_BODY, "box"},
               {mjOBJ_SITE, "goal"},
               {mjOBJ_SITE, "pegGrasp"},
               {mjOBJ_SITE, "pegHead"},
               {mjOBJ_SITE, "bottom_right_corner_collision_box_1"},
               {mjOBJ_SITE, "top_left_corner_collision_box_1"},
               {mjOBJ_SITE, "bottom_right_corner_collision_box_2"},
               {mjOBJ_SITE, "top_left_corner_collision_box_2"}}},
      .min_planar_gap = 0.1,
      .edit_model = EditModel,
      .reset = Reset,
      .objects = Objects,
      .reward = Reward,
  };
  return spec;
}

}  // namespace sawyer
}  // namespace ctpg
