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
const TaskSpec& AssemblyTask();
const TaskSpec& DisassembleTask();
const TaskSpec& HammerTask();
const TaskSpec& PegUnplugSideTask();

}  // namespace sawyer
}  // namespace ctpg
