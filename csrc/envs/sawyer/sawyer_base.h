// The Sawyer arm shared by every MetaWorld v3 task: model loading, the mocap
// action path, frame skip, hand settling at reset, the 39-dim observation with
// its previous-frame block and visible goal, and observation clipping. A task
// contributes only a TaskSpec (task_spec.h): ranges, reset, objects, reward
// and MetaWorld's info values. An unstable simulation is left to MuJoCo, as in
// MetaWorld 3.1.1 (whose own handler never runs): mj_step warns and resets
// mjData when qpos, qvel or qacc turn NaN, inf or huge.
#pragma once

#include <mujoco/mujoco.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "common/mujoco_util.h"
#include "envs/env.h"
#include "envs/sawyer/reward_utils.h"
#include "envs/sawyer/task_spec.h"

namespace ctpg {
namespace sawyer {

constexpr int kObsDim = 39;
constexpr int kActionDim = 4;
constexpr int kFrameSkip = 5;
constexpr int kSettleSteps = 50;
constexpr int kSettleSubsteps = kSettleSteps * kFrameSkip;
constexpr int kCurrObsDim = 18;

// One compiled model per task, shared read-only by all envs of that task.
struct TaskModel {
  const TaskSpec* spec = nullptr;
  UniqueModel model;
  int hand_body = -1, right_claw = -1, left_claw = -1, left_pad = -1, right_pad = -1;
  int right_effector = -1, left_effector = -1, mocap = -1;
  int left_pad_geom = -1, right_pad_geom = -1;
  std::array<int, kMaxTaskIds> ids{};
  // Integration state (mjSTATE_INTEGRATION) one substep before the end of
  // hand settling from mj_resetData, for tasks whose model edits do not
  // change it (the arm never touches the moved bodies while settling); empty
  // for tasks that must settle in full at every reset.
  std::vector<mjtNum> presettled;
  // Whether a step may reuse the position stage of the forward pass that
  // ended the previous step (see MjStepAfterForward in sawyer_base.cpp).
  bool reuse_position = false;
};

// Loads `<asset_dir>/sawyer_xyz/<spec.xml>`, applies MetaWorld's mocap weld
// reset and resolves the ids the arm and the task need.
std::shared_ptr<const TaskModel> LoadTaskModel(const TaskSpec& spec, const std::string& asset_dir);

// Parameters of MetaWorld's SawyerXYZEnv._gripper_caging_reward.
struct CagingParams {
  double obj_radius;
  double pad_success_thresh;
  double object_reach_radius;
  double xz_thresh;
  bool high_density;
  // The effort at which gripper_closed saturates (MetaWorld's default 1.0).
  double desired_gripper_effort = 1.0;
  // Averages in a reach reward on the tcp-to-object distance instead.
  bool medium_density = false;
};

class SawyerEnv : public Env {
 public:
  explicit SawyerEnv(std::shared_ptr<const TaskModel> task);
  ~SawyerEnv() override;

  const std::string& task_name() const override { return name_; }
  int obs_dim() const override { return kObsDim; }
  int action_dim() const override { return kActionDim; }
  const std::vector<std::string>& info_keys() const override;
  int task_vector_dim() const override { return spec_.vec_dim; }
  void CheckTaskVector(const double* vec) const override;
  void FreezeTaskVector(const double* vec) override;
  void UnfreezeTaskVector() override { frozen_ = false; }
  void CurrentTaskVector(double* out) const override;
  void Reset(Rng& rng, float* obs) override;
  StepOutput Step(const float* action, float* obs) override;
  // MetaWorld's set_state (qpos, qvel, mj_forward) followed by its _get_obs:
  // writes the unclipped observation and makes this frame the previous one.
  void SetState(const double* qpos, int nq, const double* qvel, int nv, float* obs) override;
  // qpos, qvel, mocap poses and this env's edited body_pos / site_pos.
  SimState GetState() const override { return ReadSimState(model_.get(), data_.get()); }

  // Accessors used by the task functions.
  const mjModel* model() const { return model_.get(); }
  mjData* data() { return data_.get(); }
  const mjData* data() const { return data_.get(); }
  const TaskSpec& spec() const { return spec_; }
  int id(int k) const { return task_->ids[k]; }
  const double* body_xpos(int body) const { return data_->xpos + 3 * body; }
  const double* site_xpos(int site) const { return data_->site_xpos + 3 * site; }
  const double* geom_xpos(int geom) const { return data_->geom_xpos + 3 * geom; }
  const double* left_pad() const { return body_xpos(task_->left_pad); }
  const double* right_pad() const { return body_xpos(task_->right_pad); }
  void TcpCenter(double* out) const;
  // SawyerXYZEnv.touching_object: both pads push on `geom` (a positive sum of
  // contact forces each), with numpy's wrap-around for an efc_address of -1.
  bool TouchingObject(int geom) const;
  // Private model edits (this env's copies of body_pos / site_pos).
  void SetBodyPos(int body, const double* pos);
  void SetSitePos(int site, const double* pos);
  // mj_forward on this env's model and data (MetaWorld's set_state ends so).
  void Forward() { mj_forward(model_.get(), data_.get()); }
  TaskState& state() { return state_; }
  const TaskState& state() const { return state_; }
  int curr_path_length() const { return curr_path_length_; }

  PyNum GripperCagingReward(const float* action, const double* obj_pos,
                            const CagingParams& p) const;

 private:
  void DrawTaskVector(Rng& rng);
  void CurrentObs(double* curr) const;
  void ClipObs(double* obs) const;
  // Writes the 39-dim observation (current frame, previous frame, goal) and
  // makes the current frame the previous one; no clipping.
  void ObserveFrame(double* full);

  std::shared_ptr<const TaskModel> task_;
  const TaskSpec& spec_;
  std::string name_;
  // A shallow copy of the shared model whose body_pos / site_pos point to
  // this env's private arrays; never passed to mj_deleteModel.
  std::unique_ptr<mjModel> model_;
  std::vector<mjtNum> body_pos_;
  std::vector<mjtNum> site_pos_;
  UniqueData data_;
  std::array<double, kMaxVecDim> vec_{};
  bool frozen_ = false;
  int curr_path_length_ = 0;
  TaskState state_;
  std::array<double, kCurrObsDim> prev_obs_{};
  // True while data_ holds the full mj_forward of its qpos and qvel (set at
  // the end of Step; cleared by anything else that edits model or data).
  bool forward_current_ = false;
};

}  // namespace sawyer
}  // namespace ctpg
