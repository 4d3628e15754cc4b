"""Cost of one application through the whole case process (see bench/README.md)."""

import argparse
import statistics
import time
from collections import defaultdict

from harness import in_test_database  # sets up Django: before any Django import

# isort: split
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=20)
    parser.add_argument(
        "--show-queries", action="store_true", help="print the SQL of each step of the last case"
    )
    args = parser.parse_args()

    in_test_database(lambda: run(args.cases, show=args.show_queries))


def run(cases: int, show: bool = False) -> None:
    import datetime

    from django.utils import timezone
    from viewflow.workflow.status import STATUS

    from bench.bare_flow import BareFlow, complete, open_tasks
    from casework.choices import OrganisationKind, Role
    from casework.models import Organisation
    from casework.services import membership_grant, user_ensure
    from legal.models import Provision
    from trials import services as trials
    from trials.choices import Assessment, Outcome, Position, Purpose
    from trials.models import Consultation
    from workflows.case.flows import ApplicationFlow
    from workflows.case.services import task_complete

    def person(name, org, role):
        user = user_ensure(
            username=name, email=f"{name}@bench.example", first_name=name, last_name="Bench"
        )
        membership_grant(actor=None, user=user, organisation=org, role=role)
        return user

    ministries = {o.code: o for o in Organisation.objects.filter(kind=OrganisationKind.DEPARTEMENT)}
    lillehammer = Organisation.objects.get(kind=OrganisationKind.KOMMUNE, number="3405")
    applicant = person("applicant", lillehammer, Role.APPLICANT)
    officer = person("officer", ministries["KDD"], Role.CASE_OFFICER)
    approver = person("approver", ministries["KDD"], Role.APPROVER)
    consultees = {
        "KD": person("kd", ministries["KD"], Role.CONSULTEE),
        "HOD": person("hod", ministries["HOD"], Role.CONSULTEE),
    }
    # Lillehammer is neutral (språklova § 11): the officer chooses the letters' form, as on the
    # task pages (register, assess, propose); the ministries are neutral too.
    provisions = [
        Provision.objects.get(citation_key="LOV-2023-06-09-30/§13-1"),
        Provision.objects.get(citation_key="LOV-2011-06-24-30/§3-2"),
    ]

    def open_task(application, step):
        return ApplicationFlow.task_class.objects.select_related("process").get(
            process__caseprocess__application=application,
            flow_task=getattr(ApplicationFlow, step),
            status__in=[STATUS.NEW, STATUS.ASSIGNED],
        )

    times, queries, sql = defaultdict(list), defaultdict(list), {}
    bare_times, bare_queries = [], []
    savepoints, bare_savepoints = defaultdict(list), []

    def savepoints_in(captured) -> int:
        return sum(
            1 for q in captured.captured_queries if q["sql"].startswith(("SAVEPOINT", "RELEASE"))
        )

    def measure(step, func):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            func()
            times[step].append(time.perf_counter() - start)
        queries[step].append(len(captured.captured_queries))
        savepoints[step].append(savepoints_in(captured))
        sql[step] = [q["sql"] for q in captured.captured_queries]

    def bare_case():
        """The same steps on the bare engine (bench/bare_flow.py), by the same people."""
        with transaction.atomic():
            process = BareFlow.start.run()
        for node, user in (
            (BareFlow.register, officer),
            (BareFlow.check_completeness, officer),
            (BareFlow.assess, officer),
        ):
            (task,) = open_tasks(process, node)
            complete(task, user)
        for task, user in zip(
            open_tasks(process, BareFlow.consult), consultees.values(), strict=True
        ):
            complete(task, user)
        for node, user in ((BareFlow.propose, officer), (BareFlow.approve, approver)):
            (task,) = open_tasks(process, node)
            complete(task, user)

    def measure_bare():
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            bare_case()
            bare_times.append(time.perf_counter() - start)
        bare_queries.append(len(captured.captured_queries))
        bare_savepoints.append(savepoints_in(captured))

    measure_bare()  # warm up both (imports, caches) before measuring
    bare_times.clear()
    bare_queries.clear()
    for number in range(cases):
        measure_bare()  # taking turns with the full case, so both see the same machine
        application = trials.application_create(
            actor=applicant,
            lead_organisation=lillehammer,
            title=f"Forsøk {number}",
            description="Benchmark.",
            period_months=24,
            requested_start=timezone.localdate() + datetime.timedelta(days=90),
        )
        for provision in provisions:
            trials.exemption_request_create(
                actor=applicant,
                application=application,
                provision=provision,
                proposed_arrangement="Ny ordning.",
                justification="Betre tenester.",
            )
        trials.application_set_purposes(
            actor=applicant, application=application, purposes={Purpose.BETTER_SERVICES: "Ja."}
        )
        measure(
            "submit",
            lambda a=application: trials.application_submit(actor=applicant, application=a),
        )
        measure(
            "register",
            lambda a=application: task_complete(
                actor=officer, task=open_task(a, "register"), payload={"letter_language": "nb"}
            ),
        )
        measure(
            "check_completeness",
            lambda a=application: task_complete(
                actor=officer, task=open_task(a, "check_completeness"), payload={"complete": True}
            ),
        )
        measure(
            "assess",
            lambda a=application: task_complete(
                actor=officer,
                task=open_task(a, "assess"),
                payload={
                    "assessments": {
                        e.pk: {"assessment": Assessment.WITHIN_SCOPE}
                        for e in a.exemption_requests.all()
                    },
                    "letter_language": "nb",
                },
            ),
        )

        def consult(a=application):
            for task in ApplicationFlow.task_class.objects.select_related("process").filter(
                process__caseprocess__application=a,
                flow_task=ApplicationFlow.consult,
                status=STATUS.NEW,
            ):
                consultation = Consultation.objects.get(pk=task.data["consultation"])
                task_complete(
                    actor=consultees[task.data["ministry"]],
                    task=task,
                    payload={
                        "positions": {
                            e.pk: {"position": Position.SUPPORTS}
                            for e in consultation.exemptions.all()
                        }
                    },
                )

        measure("consult (2 ministries)", consult)
        measure(
            "propose",
            lambda a=application: task_complete(
                actor=officer,
                task=open_task(a, "propose"),
                payload={
                    "outcomes": {
                        e.pk: {"outcome": Outcome.GRANTED} for e in a.exemption_requests.all()
                    },
                    "summary": "Godkjent.",
                    "letter_language": "nb",
                },
            ),
        )
        measure(
            "approve + letter",
            lambda a=application: task_complete(
                actor=approver, task=open_task(a, "approve"), payload={"decision": "approve"}
            ),
        )

    if show:
        for step, statements in sql.items():
            print(f"--- {step}: {len(statements)} queries")
            for statement in statements:
                print("   ", statement[:300])
    total_times = [sum(times[step][i] for step in times) for i in range(cases)]
    total_queries = [sum(queries[step][i] for step in queries) for i in range(cases)]
    print(f"{cases} cases on {connection.vendor}")
    print(f"{'step':<24}{'median ms':>10}{'p90 ms':>9}{'queries':>9}")
    for step in times:
        print(
            f"{step:<24}{statistics.median(times[step]) * 1000:>10.1f}"
            f"{percentile(times[step], 0.9) * 1000:>9.1f}{statistics.median(queries[step]):>9.0f}"
        )
    print(
        f"{'whole case':<24}{statistics.median(total_times) * 1000:>10.1f}"
        f"{percentile(total_times, 0.9) * 1000:>9.1f}{statistics.median(total_queries):>9.0f}"
    )
    print(f"cases per second (one worker): {1 / statistics.median(total_times):.1f}")
    bare = statistics.median(bare_times)
    print(
        f"{'bare viewflow, same steps':<24}{bare * 1000:>10.1f}"
        f"{percentile(bare_times, 0.9) * 1000:>9.1f}{statistics.median(bare_queries):>9.0f}"
    )
    ratios = [full / plain for full, plain in zip(total_times, bare_times, strict=True)]
    print(
        f"whole case / bare: {statistics.median(total_times) / bare:.2f}x (medians), "
        f"{statistics.median(ratios):.2f}x (median of per-case ratios)"
    )
    from django_tasks_db.models import DBTaskResult

    print(f"tasks left for the worker (letters, mail): {DBTaskResult.objects.count()}")
    total_savepoints = [sum(savepoints[step][i] for step in savepoints) for i in range(cases)]
    print(
        f"of the queries, SAVEPOINT/RELEASE: whole case {statistics.median(total_savepoints):.0f}"
        f", bare {statistics.median(bare_savepoints):.0f}"
    )


if __name__ == "__main__":
    main()
