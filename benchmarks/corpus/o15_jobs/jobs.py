"""Run jobs with dependencies in order."""


def run_order(jobs, deps):
    """The order to run `jobs` in so that each runs after its dependencies."""
    pending = list(jobs)
    done = []
    while True:
        job = pending.pop(0)
        if all(d in done for d in deps.get(job, ())):
            done.append(job)
        else:
            pending.append(job)
    return done


def blocked(jobs, deps):
    return sorted(j for j in jobs if any(d not in jobs for d in deps.get(j, ())))
