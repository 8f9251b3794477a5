"""Test data for the requirements app, built through the services (codes and versions are real)."""

from datetime import date

from requirements import services
from requirements.models import QuestionKind, SurveyMethod
from tests.projects.factories import DepartmentFactory, member


def requirement(project, author=None, **kwargs):
    author = author or member(project, "business")
    kwargs.setdefault("title", "Real-time balance enquiry")
    kwargs.setdefault("priority", "must")
    return services.requirement_create(actor=author, project=project, **kwargs)


def submitted(project, author=None, **kwargs):
    r = requirement(project, author=author, **kwargs)
    return services.requirement_submit(actor=r.author, requirement=r)


def approved(project, author=None, reviewer=None, **kwargs):
    r = submitted(project, author=author, **kwargs)
    reviewer = reviewer or member(project, "business")
    return services.requirement_approve(actor=reviewer, requirement=r)


def questionnaire(project, owner=None, departments=(), open_it=True):
    owner = owner or member(project, "business")
    survey = services.survey_create(actor=owner, project=project, title="Counter survey",
                                    method=SurveyMethod.QUESTIONNAIRE, departments=list(departments))
    questions = [
        services.question_add(actor=owner, survey=survey, text="What takes longest?", kind=QuestionKind.TEXT,
                              required=True),
        services.question_add(actor=owner, survey=survey, text="Main channel?", kind=QuestionKind.SINGLE,
                              choices=["Counter", "Mobile", "Web"], required=True),
        services.question_add(actor=owner, survey=survey, text="Reports needed?", kind=QuestionKind.MULTIPLE,
                              choices=["Cash", "Journal", "Loans"]),
        services.question_add(actor=owner, survey=survey, text="Satisfaction?", kind=QuestionKind.SCALE),
    ]
    if open_it:
        services.survey_open(actor=owner, survey=survey)
    return survey, questions


def good_answers(questions, text="Month-end runs all night"):
    return {questions[0].pk: text, questions[1].pk: "Counter", questions[2].pk: ["Cash", "Loans"],
            questions[3].pk: 4}


def interview_round(project, owner=None):
    owner = owner or member(project, "business")
    survey = services.survey_create(actor=owner, project=project, title="Interviews", method=SurveyMethod.INTERVIEW)
    services.survey_open(actor=owner, survey=survey)
    interview = services.interview_record(actor=owner, survey=survey, interviewees="Head of Retail",
                                          held_on=date(2026, 10, 1), notes="Tellers need one screen.\nMore.")
    return survey, interview


def department(project, name=None):
    return DepartmentFactory(project=project, **({"name": name} if name else {}))
