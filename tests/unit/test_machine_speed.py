from jointaid.machine_speed import reference_ms


def test_the_reference_work_takes_cpu_time_and_more_rounds_take_more():
    few, many = reference_ms(rounds=20, repeats=3), reference_ms(rounds=400, repeats=3)
    assert 0 < few < many < float("inf")
