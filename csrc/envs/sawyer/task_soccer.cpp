// soccer-v3 (SawyerSoccerEnvV3): push a ball into a goal placed on the table.
#include <algorithm>
#include <cmath>

#include "envs/sawyer/task_util.h"
#include "envs/sawyer/tasks.h"

namespace ctpg {
namespace sawyer {
namespace {

enum Id { kBallBody, kObjGeom, kGoalBody, kGoalSite };
constexpr double kTargetRadius = 0.07;
constexpr double kBallZ = 0.03;  // init_config obj_init_pos[-1]

// MetaWorld moves the goal body after settling; the next reset settles with
// it already moved, so the edit belongs before settling.
void EditModel(SawyerEnv& env, const double* vec) {
  env.SetBodyPos(env.id(kGoalBody), vec + 3);
  env.SetSitePos(env.id(kGoalSite), vec + 3);
}

void Reset(SawyerEnv& env, const double* vec) {
  TaskState& s = env.state();
  s.target_pos = {vec[3], vec[4], vec[5]};
  s.obj_init_pos = {vec[0], vec[1], kBallZ};
  SetObjXyz(env, s.obj_init_pos.data());
}

void Objects(const SawyerEnv& env, double* out) {
  const int body = env.id(kBallBody);
  PoseWithMatrixQuat(env.body_xpos(body), env.data()->xmat + 9 * body, out);
}

// norm((a - b) * [3, 1, 1]).
double XScaledDist(const double* a, const double* b) {
  const double d[3] = {(a[0] - b[0]) * 3.0, (a[1] - b[1]) * 1.0, (a[2] - b[2]) * 1.0};
  return Norm3(d);
}

RewardResult Reward(SawyerEnv& env, const double* obs, const float* /*action*/) {
  const TaskState& s = env.state();
  const double* obj = obs + 4;
  const double* target = s.target_pos.data();
  const double tcp_opened = obs[3];
  double tcp[3];
  env.TcpCenter(tcp);
  const double tcp_to_obj = Dist3(obj, tcp);
  const double target_to_obj = XScaledDist(obj, target);
  // MetaWorld's margin is the ball's scaled distance from its start.
  const double target_to_obj_init = XScaledDist(obj, s.obj_init_pos.data());
  double in_place =
      Tolerance(target_to_obj, 0.0, kTargetRadius, target_to_obj_init, Sigmoid::kLongTail);
  const double goal_line = target[1] - 0.1;
  if (obj[1] > goal_line && std::abs(obj[0] - target[0]) > 0.10) {
    in_place = in_place - 2 * ((obj[1] - goal_line) / (1 - goal_line));
    in_place = std::min(std::max(in_place, 0.0), 1.0);
  }
  const double grasped = PadGrippingCagingReward(env, obj, {0.013, 0.01, 0.005});
  double reward = (3 * grasped) + (6.5 * in_place);
  if (target_to_obj < kTargetRadius) reward = 10.0;
  const double obj_to_target = Dist3(obj, target);
  const bool grasp_success =
      env.TouchingObject(env.id(kObjGeom)) && tcp_opened > 0 && obj[2] - 0.02 > s.obj_init_pos[2];
  return MakeResult(reward, obj_to_target <= 0.07, tcp_to_obj <= 0.03, grasp_success, grasped,
                    in_place, obj_to_target);
}

}  // namespace

const TaskSpec& SoccerTask() {
  static const TaskSpec spec = {
      .name = "soccer-v3",
      .xml = "sawyer_soccer.xml",
      .hand_init = {0.0, 0.6, 0.2},
      .vec_dim = 6,
      .vec_low = {-0.1, 0.6, 0.03, -0.1, 0.8, 0.0},
      .vec_high = {0.1, 0.7, 0.03, 0.1, 0.9, 0.0},
      .goal_low = {-0.1, 0.8, 0.0},
      .goal_high = {0.1, 0.9, 0.0},
      .ids = {{{mjOBJ_BODY, "soccer_ball"},
               {mjOBJ_GEOM, "objGeom"},
               {mjOBJ_BODY, "goal_whole"},
               {mjOBJ_SITE, "goal"}}},
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
