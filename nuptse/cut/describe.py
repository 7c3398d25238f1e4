class CutStatistics:
    pass
