def test_front_page_shows_reference_figures(client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert response.context["municipality_count"] == 357
