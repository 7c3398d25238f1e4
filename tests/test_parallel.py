"""nuptse.parallel: order-preserving parallel map."""

import pytest

from nuptse.parallel import ParallelExecutor, SubmitterThread, parallel_map


def _square(x):
    return x * x


def _fail_on_three(x):
    if x == 3:
        raise ValueError("three")
    return x


@pytest.mark.parametrize("threads", [False, True])
@pytest.mark.parametrize("queue_size", [1, 3, 1000])
def test_parallel_map_keeps_order(threads, queue_size):
    out = list(parallel_map(_square, range(40), num_jobs=2, queue_size=queue_size, threads=threads))
    assert out == [x * x for x in range(40)]


def test_parallel_map_several_iterables_stop_at_shortest():
    assert list(parallel_map(pow, [2, 3, 4], [2, 2], num_jobs=2, threads=True)) == [4, 9]


def test_parallel_map_reraises_errors_and_checks_arguments():
    with pytest.raises(ValueError, match="three"):
        list(parallel_map(_fail_on_three, range(5), num_jobs=2, threads=True))
    with pytest.raises(ValueError, match="num_jobs"):
        list(parallel_map(_square, [1], num_jobs=0))


def test_submitter_thread_queues_futures_in_order():
    t = SubmitterThread(_square, range(5), num_jobs=2, threads=True)
    t.start()
    t.join()
    results = [t.queue.get().result() for _ in range(5)]
    assert results == [0, 1, 4, 9, 16]


def test_parallel_executor_single_job():
    runner = ParallelExecutor(lambda: _square, num_jobs=1)
    assert list(runner([1, 2, 3])) == [1, 4, 9]
