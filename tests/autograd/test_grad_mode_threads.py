"""Grad mode is per thread, as in PyTorch; `inference_mode` is exported at the top level."""

import threading

import functorch_lite as fl


def _in_thread(body):
    """Runs `body` in a new thread and returns what it returned (or re-raises what it raised)."""
    result = {}

    def run():
        try:
            result["value"] = body()
        except BaseException as error:  # noqa: BLE001 - handed back to the test thread
            result["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=60)
    if "error" in result:
        raise result["error"]
    return result["value"]


def test_no_grad_in_one_thread_leaves_another_recording():
    a = fl.ones(3, requires_grad=True)
    inside, switched_off = threading.Event(), threading.Event()
    seen = {}

    def worker():
        with fl.no_grad():
            switched_off.set()
            inside.wait(timeout=60)  # the main thread records while this one is in no_grad
            seen["worker_enabled"] = fl.is_grad_enabled()
            seen["worker_records"] = (a * 2).requires_grad

    thread = threading.Thread(target=worker)
    thread.start()
    assert switched_off.wait(timeout=60)
    assert fl.is_grad_enabled()
    assert (a * 2).requires_grad
    inside.set()
    thread.join(timeout=60)
    assert seen == {"worker_enabled": False, "worker_records": False}


def test_a_new_thread_starts_with_grad_enabled_whatever_the_creator_set():
    a = fl.ones(3, requires_grad=True)
    with fl.no_grad():
        assert _in_thread(lambda: (fl.is_grad_enabled(), (a * 2).requires_grad)) == (True, True)
    fl.set_grad_enabled(False)
    try:
        assert _in_thread(fl.is_grad_enabled)
    finally:
        fl.set_grad_enabled(True)


def test_set_grad_enabled_in_a_thread_does_not_leak_out():
    _in_thread(lambda: fl.set_grad_enabled(False))
    assert fl.is_grad_enabled()


def test_inference_mode_disables_recording_and_restores():
    a = fl.ones(3, requires_grad=True)
    assert not fl.is_inference_mode_enabled()
    with fl.inference_mode():
        assert fl.is_inference_mode_enabled() and not fl.is_grad_enabled()
        assert not (a * 2).requires_grad
        with fl.inference_mode(False):
            assert not fl.is_grad_enabled()  # mode=False changes nothing, as in PyTorch
    assert fl.is_grad_enabled() and not fl.is_inference_mode_enabled()

    @fl.inference_mode()
    def called(x):
        return x * 2

    @fl.inference_mode
    def bare(x):
        return x * 2

    assert not called(a).requires_grad and not bare(a).requires_grad
    assert fl.is_grad_enabled() and (a * 2).requires_grad
    assert fl.autograd.inference_mode is fl.inference_mode
