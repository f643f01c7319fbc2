// reach-v3 (SawyerReachEnvV3): move the tool centre to a goal in the air.
#include "envs/sawyer/task_util.h"
#include "envs/sawyer/tasks.h"

namespace ctpg {
namespace sawyer {
namespace {

enum Id { kObjBody, kObjGeom, kGoalSite };

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

RewardResult Reward(SawyerEnv& env, const double* /*obs*/, const float* /*action*/) {
  const TaskState& s = env.state();
  double tcp[3];
  env.TcpCenter(tcp);
  const double tcp_to_target = Dist3(tcp, s.target_pos.data());
  const double margin = Dist3(env.spec().hand_init.data(), s.target_pos.data());
  const double in_place = Tolerance(tcp_to_target, 0.0, 0.05, margin, Sigmoid::kLongTail);
  return MakeResult(10.0 * in_place, tcp_to_target <= 0.05, tcp_to_target, 1.0, tcp_to_target,
                    in_place, tcp_to_target);
}

}  // namespace

const TaskSpec& ReachTask() {
  static const TaskSpec spec = {
      .name = "reach-v3",
      .xml = "sawyer_reach_v3.xml",
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
