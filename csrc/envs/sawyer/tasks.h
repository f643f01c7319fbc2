// The MetaWorld v3 task table entries (the MT10 tasks, then further MT50 tasks).
#pragma once

#include "envs/sawyer/task_spec.h"

namespace ctpg {
namespace sawyer {

const TaskSpec& ReachTask();
const TaskSpec& PushTask();
const TaskSpec& PickPlaceTask();
const TaskSpec& PegInsertSideTask();
const TaskSpec& DoorOpenTask();
const TaskSpec& DrawerOpenTask();
const TaskSpec& DrawerCloseTask();
const TaskSpec& ButtonPressTopdownTask();
const TaskSpec& WindowOpenTask();
const TaskSpec& WindowCloseTask();
const TaskSpec& HandlePressTask();
const TaskSpec& HandlePressSideTask();
const TaskSpec& HandlePullTask();
const TaskSpec& HandlePullSideTask();
const TaskSpec& LeverPullTask();
const TaskSpec& DialTurnTask();

}  // namespace sawyer
}  // namespace ctpg
