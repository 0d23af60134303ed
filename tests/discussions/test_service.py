"""Q&A rules without HTTP: nesting, authorship, moderation, the team's marks, notices."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.discussions.conftest import make_cast
from tests.factories import add_team_member
from trove.audit.models import AuditEvent
from trove.discussions import service
from trove.discussions.models import Post
from trove.discussions.rules import viewer_for
from trove.errors import DomainError
from trove.extensions import db
from trove.notifications.models import Notification
from trove.projects import service as projects


def _notes(user) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)))


def _mail_to(outbox, address):
    return [message for message in outbox if message["To"] == address]


def _qa(cast):
    question = service.ask_question(cast.project, cast.contributor, "Can the shelf be tilted?")
    answer = service.reply_to_question(question, cast.owner, "Yes, a little.")
    return question, answer


# --- asking and replying -----------------------------------------------------------------------


def test_a_signed_in_contributor_asks_a_question(cast):
    question = service.ask_question(cast.project, cast.contributor, "  Is night light OK?\r\n ")
    assert question.id and question.is_question
    assert question.body == "Is night light OK?"


@pytest.mark.parametrize(
    ("body", "message"),
    [("", "Write something first."), ("   \n ", "Write something first."), ("x" * 5001, "5,000")],
)
def test_a_post_needs_between_one_and_5000_characters(cast, body, message):
    with pytest.raises(DomainError, match=message) as info:
        service.ask_question(cast.project, cast.contributor, body)
    assert info.value.field == "body"


def test_replies_nest_only_one_level(cast):
    question, answer = _qa(cast)
    with pytest.raises(DomainError, match="under the question"):
        service.reply_to_question(answer, cast.contributor, "Thanks!")


def test_a_reply_moves_its_question_to_the_top(cast):
    first = service.ask_question(cast.project, cast.contributor, "First?")
    second = service.ask_question(cast.project, cast.other, "Second?")
    first.created_at = first.activity_at = first.activity_at - timedelta(minutes=5)
    assert [q.id for q in service.thread_page(cast.project, 1).items] == [second.id, first.id]
    service.reply_to_question(first, cast.owner, "An answer.")
    assert [q.id for q in service.thread_page(cast.project, 1).items] == [first.id, second.id]
    assert service.page_of(second) == 1


def test_questions_are_paged_twenty_at_a_time(cast):
    questions = [service.ask_question(cast.project, cast.contributor, f"Q{n}?") for n in range(21)]
    assert len(service.thread_page(cast.project, 1).items) == 20
    assert service.thread_page(cast.project, 2).items == [questions[0]]
    assert service.page_of(questions[0]) == 2
    assert service.page_of(questions[-1]) == 1


def test_nobody_asks_on_a_draft_project(req):
    draft = make_cast("draft")
    for someone in (draft.owner, draft.admin):
        with pytest.raises(DomainError, match="once the brief is published"):
            service.ask_question(draft.project, someone, "Hello?")


def test_a_closed_thread_is_read_only_except_for_the_team(cast):
    question = service.ask_question(cast.project, cast.contributor, "Before closing?")
    projects.close_project(cast.project, cast.owner, "Target reached")
    for someone in (cast.contributor, cast.owner):
        with pytest.raises(DomainError, match="closed"):
            service.ask_question(cast.project, someone, "Hello?")
    with pytest.raises(DomainError, match="read-only"):
        service.reply_to_question(question, cast.other, "Still there?")
    answer = service.reply_to_question(question, cast.viewer, "Yes, answered late.")
    service.pin_answer(answer, cast.viewer)
    assert answer.is_official and answer.is_pinned


# --- notifications --------------------------------------------------------------------------------


def test_the_asker_is_notified_and_emailed_of_each_reply_by_someone_else(cast, outbox):
    question, answer = _qa(cast)
    service.reply_to_question(question, cast.other, "I tilted mine and it was approved.")
    db.session.commit()  # mail is sent after the commit
    notes = _notes(cast.contributor)
    assert [n.kind for n in notes] == ["discussion.reply", "discussion.reply"]
    assert "Olive Owner replied to your question" in notes[0].text
    assert notes[0].url == f"/posts/{question.id}#post-{answer.id}"
    to_asker = _mail_to(outbox, "sam@example.org")
    assert len(to_asker) == 2
    assert "New reply to your question" in to_asker[0]["Subject"]
    assert f"http://localhost/posts/{question.id}#post-{answer.id}" in to_asker[0].get_content()


def test_replying_to_ones_own_question_notifies_nobody(cast, outbox):
    question = service.ask_question(cast.project, cast.contributor, "Any tips?")
    service.reply_to_question(question, cast.contributor, "Never mind, found them.")
    db.session.commit()
    assert _notes(cast.contributor) == []
    assert _mail_to(outbox, "sam@example.org") == []


def test_an_official_answer_notifies_the_asker_once(cast, outbox):
    question, answer = _qa(cast)
    service.mark_official(answer, cast.viewer)
    service.mark_official(answer, cast.owner)  # already official: nothing new
    db.session.commit()
    kinds = [n.kind for n in _notes(cast.contributor)]
    assert kinds == ["discussion.reply", "discussion.official_answer"]
    assert len(_mail_to(outbox, "sam@example.org")) == 2


def test_an_inactive_asker_gets_the_notification_but_no_email(cast, outbox):
    question = service.ask_question(cast.project, cast.contributor, "Hello?")
    cast.contributor.active = False
    service.reply_to_question(question, cast.owner, "Hi.")
    db.session.commit()
    assert len(_notes(cast.contributor)) == 1
    assert _mail_to(outbox, "sam@example.org") == []


def test_a_new_question_reaches_owners_by_mail_and_reviewers_in_the_app(cast, outbox):
    reviewer = add_team_member(cast.project, "reviewer")
    question = service.ask_question(cast.project, cast.contributor, "Is a tilted shelf fine?")
    db.session.commit()
    for person in (cast.owner, reviewer):
        [note] = _notes(person)
        assert note.kind == "discussion.question"
        assert "Sam Contributor asked a question" in note.text
        assert note.url == f"/posts/{question.id}#post-{question.id}"
    assert _notes(cast.viewer) == [] and _notes(cast.other) == []
    assert [m["To"] for m in outbox] == ["owner@example.org"]
    assert "New question on" in outbox[0]["Subject"]


def test_the_team_is_not_told_of_its_own_questions(cast, outbox):
    service.ask_question(cast.project, cast.owner, "Note to self?")
    db.session.commit()
    assert _notes(cast.owner) == [] and outbox == []


# --- editing and deleting ---------------------------------------------------------------------


def test_only_the_author_edits_a_post(cast):
    question, answer = _qa(cast)
    service.edit_post(question, cast.contributor, "Can the shelf be tilted a bit?")
    assert question.body == "Can the shelf be tilted a bit?" and question.edited_at
    for someone in (cast.other, cast.owner, cast.admin):
        with pytest.raises(DomainError, match="Only the author") as info:
            service.edit_post(question, someone, "Hijacked")
        assert info.value.status == 403


def test_deleted_or_hidden_posts_cannot_be_edited(cast):
    question, answer = _qa(cast)
    service.hide_post(answer, cast.admin)
    with pytest.raises(DomainError, match="hid"):
        service.edit_post(answer, cast.owner, "Changed")
    service.delete_post(question, cast.contributor)
    with pytest.raises(DomainError, match="deleted"):
        service.edit_post(question, cast.contributor, "Changed")


def test_an_outsider_editing_an_official_answer_loses_the_mark_and_the_pin(cast):
    question = service.ask_question(cast.project, cast.contributor, "Tilt?")
    answer = service.reply_to_question(question, cast.other, "Yes, slightly.")
    service.pin_answer(answer, cast.owner)
    service.edit_post(answer, cast.other, "Yes, any angle; also film the customers.")
    assert not answer.is_official and not answer.is_pinned
    assert service.pinned_faq(cast.project) == []


def test_the_author_or_an_admin_deletes_and_replies_stay(cast):
    question, answer = _qa(cast)
    for someone in (cast.other, cast.owner, cast.viewer):
        with pytest.raises(DomainError) as info:
            service.delete_post(question, someone)
        assert info.value.status == 403
    service.delete_post(question, cast.contributor)
    assert question.is_deleted and question.body  # kept for moderation, never shown
    assert service.thread_page(cast.project, 1).items == [question]  # a placeholder
    assert question.shown_replies == [answer]
    service.delete_post(answer, cast.admin)
    assert service.thread_page(cast.project, 1).items == []  # nothing left to show
    audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "post.deleted"))
    assert [e.target_id for e in audit] == [answer.id]


def test_a_deleted_post_cannot_be_deleted_again(cast):
    question = service.ask_question(cast.project, cast.contributor, "Q?")
    service.delete_post(question, cast.contributor)
    with pytest.raises(DomainError, match="already deleted"):
        service.delete_post(question, cast.contributor)


# --- the team: official answers and the FAQ ----------------------------------------------------


@pytest.mark.parametrize("who", ["contributor", "other", "lab"])
def test_only_the_team_marks_and_pins(cast, who):
    question, answer = _qa(cast)
    someone = getattr(cast, who)
    for action in (service.mark_official, service.pin_answer):
        with pytest.raises(DomainError) as info:
            action(answer, someone)
        assert info.value.status == 403
    assert not answer.is_official and not answer.is_pinned


@pytest.mark.parametrize("who", ["viewer", "owner", "admin"])
def test_any_team_member_pins_and_pinning_marks_official(cast, who):
    question, answer = _qa(cast)
    service.pin_answer(answer, getattr(cast, who))
    assert answer.is_official and answer.is_pinned
    faq = service.pinned_faq(cast.project)
    assert [(e.question, e.answers) for e in faq] == [(question, [answer])]
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "post.pinned"))
    assert [e.target_id for e in events] == [answer.id]


def test_a_question_cannot_be_official_or_pinned(cast):
    question, answer = _qa(cast)
    with pytest.raises(DomainError, match="Only a reply"):
        service.pin_answer(question, cast.owner)
    with pytest.raises(DomainError, match="Only a reply"):
        service.mark_official(question, cast.owner)


def test_unmarking_official_unpins(cast):
    question, answer = _qa(cast)
    service.pin_answer(answer, cast.owner)
    service.unmark_official(answer, cast.owner)
    assert not answer.is_official and not answer.is_pinned
    assert service.pinned_faq(cast.project) == []


def test_hidden_or_deleted_posts_leave_the_faq(cast):
    question, answer = _qa(cast)
    service.pin_answer(answer, cast.owner)
    service.hide_post(question, cast.admin)
    assert service.pinned_faq(cast.project) == []
    service.unhide_post(question, cast.admin)
    assert len(service.pinned_faq(cast.project)) == 1
    service.delete_post(answer, cast.owner)
    assert service.pinned_faq(cast.project) == []


# --- moderation ----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["contributor", "lab", "viewer", "owner"])
def test_only_admins_hide(cast, who):
    question, answer = _qa(cast)
    with pytest.raises(DomainError, match="Only an admin") as info:
        service.hide_post(question, getattr(cast, who))
    assert info.value.status == 403
    assert not question.is_hidden


def test_an_admin_hides_and_unhides_and_both_are_audited(cast):
    question, answer = _qa(cast)
    service.hide_post(question, cast.admin)
    assert question.is_hidden and question.hidden_by_id == cast.admin.id
    for person, sees in [
        (cast.admin, True),
        (cast.contributor, True),  # the author
        (cast.other, False),
        (cast.owner, False),
    ]:
        assert viewer_for(person, cast.project).sees_body(question) is sees
    with pytest.raises(DomainError, match="no longer be answered"):
        service.reply_to_question(question, cast.owner, "More")
    service.unhide_post(question, cast.admin)
    assert not question.is_hidden
    actions = list(
        db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.target_type == "post")
            .order_by(AuditEvent.id)
        )
    )
    assert actions == ["post.hidden", "post.unhidden"]


def test_posts_belong_to_their_project(cast):
    question = service.ask_question(cast.project, cast.contributor, "Q?")
    assert db.session.get(Post, question.id).project_id == cast.project.id
