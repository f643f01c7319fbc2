// sweep-v3 (SawyerSweepEnvV3): sweep a block off the table's side edge.
#include "envs/sawyer/task_util.h"
#include "envs/sawyer/tasks.h"

namespace ctpg {
namespace sawyer {
namespace {

enum Id { kObjBody, kObjGeom, kGoalSite };
constexpr double kTargetRadius = 0.05;

// self.goal = [0.5, 0.65, 0.01] with its y replaced by the block's.
Vec3 Target(const double* vec) { return {0.5, vec[1], 0.01}; }

void EditModel(SawyerEnv& env, const double* vec) {
  const Vec3 target = Target(vec);
  env.SetSitePos(env.id(kGoalSite), target.data());
}

void Reset(SawyerEnv& env, const double* vec) {
  TaskState& s = env.state();
  s.target_pos = Target(vec);
  s.obj_init_pos = {vec[0], vec[1], 0.02};  // init_config obj_init_pos[-1]
  SetObjXyz(env, s.obj_init_pos.data());
}

// The block's body position and MuJoCo quaternion (w, x, y, z).
void Objects(const SawyerEnv& env, double* out) {
  const int body = env.id(kObjBody);
  for (int i = 0; i < 3; ++i) out[i] = env.body_xpos(body)[i];
  for (int i = 0; i < 4; ++i) out[3 + i] = env.data()->xquat[4 * body + i];
}

RewardResult Reward(SawyerEnv& env, const double* obs, const float* /*action*/) {
  const TaskState& s = env.state();
  const double* obj = obs + 4;
  const double tcp_opened = obs[3];
  double tcp[3];
  env.TcpCenter(tcp);
  const double obj_to_target = Dist3(obj, s.target_pos.data());
  const double tcp_to_obj = Dist3(obj, tcp);
  const double margin = Dist3(s.obj_init_pos.data(), s.target_pos.data());
  const double in_place = Tolerance(obj_to_target, 0.0, kTargetRadius, margin, Sigmoid::kLongTail);
  const double grasped = PadGrippingCagingReward(env, obj, {0.02, 0.01, 0.005});
  const double in_place_and_grasped = HamacherProduct(grasped, in_place);
  double reward = (2 * grasped) + (6 * in_place_and_grasped);
  if (obj_to_target < kTargetRadius) reward = 10.0;
  const bool grasp_success = env.TouchingObject(env.id(kObjGeom)) && tcp_opened > 0;
  return MakeResult(reward, obj_to_target <= 0.05, tcp_to_obj <= 0.03, grasp_success, grasped,
                    in_place, obj_to_target);
}

}  // namespace

const TaskSpec& SweepTask() {
  static const TaskSpec spec = {
      .name = "sweep-v3",
      .xml = "sawyer_sweep_v3.xml",
      .hand_init = {0.0, 0.6, 0.2},
      .vec_dim = 3,
      .vec_low = {-0.1, 0.6, 0.02},
      .vec_high = {0.1, 0.7, 0.02},
      .goal_low = {0.49, 0.6, 0.0},
      .goal_high = {0.51, 0.7, 0.02},
      .ids = {{{mjOBJ_BODY, "obj"}, {mjOBJ_GEOM, "objGeom"}, {mjOBJ_SITE, "goal"}}},
      .edit_model = EditModel,
      .reset = Reset,
      .objects = Objects,
      .reward = Reward,
  };
  return spec;
}

}  // namespace sawyer
}  // namespace ctpg
