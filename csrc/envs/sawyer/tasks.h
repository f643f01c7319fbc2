// The MetaWorld v3 task table entries.
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
const TaskSpec& PickPlaceWallTask();
const TaskSpec& PickOutOfHoleTask();
const TaskSpec& ShelfPlaceTask();
const TaskSpec& HandInsertTask();
const TaskSpec& BinPickingTask();
const TaskSpec& BasketballTask();

}  // namespace sawyer
}  // namespace ctpg
