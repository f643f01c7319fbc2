"""Learning algorithms: multi-task SAC, the CTPG guide, QMP, PCGrad, and the Agent."""
