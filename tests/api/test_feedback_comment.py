"""A reason added after rating: POST /api/feedback/{id}/comment keeps the rating and any earlier comment."""

from fastapi.testclient import TestClient

from assistant.api.app import create_app
from assistant.feedback import FeedbackStore

RATING = {"question": "武汉质押融资", "answer": "答：……[1]", "rating": "down", "citations": []}


def test_a_reason_can_be_added_after_rating(assistant, tmp_path) -> None:
    settings = assistant.settings.model_copy(update={"data_dir": tmp_path})
    with TestClient(create_app(settings, assistant=assistant)) as client:
        first = client.post("/api/feedback", json=RATING).json()["id"]
        other = client.post("/api/feedback", json={**RATING, "rating": "up", "comment": "清楚"}).json()["id"]
        assert client.post(f"/api/feedback/{first}/comment", json={"comment": "没有回答贷款额度"}).json() == {"id": first}
        assert client.post(f"/api/feedback/{other}/comment", json={"comment": "  引用准确 "}).status_code == 200
        missing = client.post("/api/feedback/999/comment", json={"comment": "x"})
        assert missing.status_code == 404 and "999" in missing.json()["error"]
        assert client.post(f"/api/feedback/{first}/comment", json={"comment": ""}).status_code == 422
        for bad_id in ("0", "-3", str(2**64), "abc"):
            assert client.post(f"/api/feedback/{bad_id}/comment", json={"comment": "x"}).status_code == 422
        assert client.post(f"/api/feedback/{first}/comment", json={"comment": "长" * 5000}).status_code == 422
    records = {r.id: r for r in FeedbackStore(tmp_path / "feedback.sqlite3").all()}
    assert (records[first].rating, records[first].comment) == ("down", "没有回答贷款额度")
    assert (records[other].rating, records[other].comment) == ("up", "清楚\n引用准确")
    assert len(records) == 2
