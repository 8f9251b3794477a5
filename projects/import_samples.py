"""Filled-in import files of a real launch's size, for the size test and scripts/bench_import.py."""

import io

from openpyxl import Workbook

SIZES = {"people": 500, "requirements": 300, "test-cases": 400, "work-items": 100, "milestones": 20}
ROLES = ["staff", "tester", "developer", "business", "ops", "trainer"]


def rows(kind, n, *, owner="", departments=("Retail",), requirement_codes=()):
    if kind == "people":
        return [["username", "full_name", "email", "department", "roles", "job_title", "phone"]] + [
            [f"p{i:04d}", f"员工{i}", f"p{i:04d}@bank.example", departments[i % len(departments)],
             ROLES[i % len(ROLES)] + (",staff" if i % 5 == 0 and ROLES[i % len(ROLES)] != "staff" else ""),
             "柜员", f"1380000{i:04d}"] for i in range(n)]
    if kind == "requirements":
        return [["标题", "描述", "优先级", "部门", "验收标准"]] + [
            [f"需求 {i}", f"描述 {i}", ["must", "should", "could"][i % 3], departments[i % len(departments)], "通过"]
            for i in range(n)]
    if kind == "test-cases":
        return [["title", "steps", "expected_result", "requirement"]] + [
            [f"Case {i}", "1. open\n2. check", "works", requirement_codes[i % len(requirement_codes)]
             if requirement_codes else ""] for i in range(n)]
    if kind == "work-items":
        return [["title", "owner", "due", "category"]] + [
            [f"Prepare {i}", owner, f"2027-01-{1 + i % 28:02d}", "preparation"] for i in range(n)]
    if kind == "milestones":
        return [["name", "planned_date"]] + [[f"Milestone {i}", f"2027-{1 + i % 12:02d}-15"] for i in range(n)]
    raise KeyError(kind)


def workbook(table) -> bytes:
    wb = Workbook()
    for row in table:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
