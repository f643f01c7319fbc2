// hand-insert-v3 (SawyerHandInsertEnvV3): push or carry a block into a hole in
// the table.
#include "envs/sawyer/task_util.h"
#include "envs/sawyer/tasks.h"

namespace ctpg {
namespace sawyer {
namespace {

enum Id { kObjBody, kObjGeom, kGoalSite };
constexpr double kTargetRadius = 0.05;
constexpr double kObjZ = 0.05;  // init_config's obj_init_pos[-1]
// The Python source keeps hand_init_pos in float32.
constexpr Vec3 kHandInit = {0.0, static_cast<double>(0.6f), static_cast<double>(0.2f)};

void EditModel(SawyerEnv& env, const double* vec) { env.SetSitePos(env.id(kGoalSite), vec + 3); }

void Reset(SawyerEnv& env, const double* vec) {
  TaskState& s = env.state();
  s.obj_init_pos = {vec[0], vec[1], kObjZ};
  s.target_pos = {vec[3], vec[4], vec[5]};
  SetObjXyz(env, s.obj_init_pos.data());
}

void Objects(const SawyerEnv& env, double* out) { BodyPosXquat(env, env.id(kObjBody), out); }

RewardResult Reward(SawyerEnv& env, const double* obs, const float* action) {
  const TaskState& s = env.state();
  const double* obj = obs + 4;
  const double target_to_obj = Dist3(obj, s.target_pos.data());
  const double target_to_obj_init = Dist3(s.obj_init_pos.data(), s.target_pos.data());
  const double in_place =
      Tolerance(target_to_obj, 0.0, kTargetRadius, target_to_obj_init, Sigmoid::kLongTail);
  const PyNum grasped = env.GripperCagingReward(action, obj, {0.015, 0.05, 0.01, 0.005, true});
  PyNum reward = HamacherProduct(grasped, PyNum{in_place, false});
  const double tcp_opened = obs[3];
  double tcp[3];
  env.TcpCenter(tcp);
  const double tcp_to_obj = Dist3(obj, tcp);
  if (tcp_to_obj < 0.02 && tcp_opened > 0) reward = AddPyFloat(reward, 1.0 + 7.0 * in_place);
  double value = reward.value;
  if (target_to_obj < kTargetRadius) value = 10.0;
  const bool grasp_success =
      env.TouchingObject(env.id(kObjGeom)) && tcp_opened > 0 && obj[2] - 0.02 > s.obj_init_pos[2];
  return MakeResult(value, target_to_obj <= 0.05, tcp_to_obj <= 0.03, grasp_success, grasped.value,
                    in_place, target_to_obj);
}

}  // namespace

const TaskSpec& HandInsertTask() {
  static const TaskSpec spec = {
      .name = "hand-insert-v3",
      .xml = "sawyer_table_with_hole.xml",
      .hand_init = kHandInit,
      .hand_low = {-0.5, 0.40, -0.15},
      .vec_dim = 6,
      .vec_low = {-0.1, 0.6, 0.05, -0.04, 0.8, -0.0201},
      .vec_high = {0.1, 0.7, 0.05, 0.04, 0.88, -0.0199},
      .goal_low = {-0.04, 0.8, -0.0201},
      .goal_high = {0.04, 0.88, -0.0199},
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
