"""All admin API routers under ``/api/admin``."""

from fastapi import APIRouter

from admin_api.audit.router import router as audit_router
from admin_api.cases.router import router as cases_router
from admin_api.content.router import router as content_router
from admin_api.insights.router import router as insights_router
from admin_api.interpreters.router import router as interpreters_router
from admin_api.profiles.router import router as profiles_router
from admin_api.questions.router import router as questions_router
from admin_api.review.router import router as review_router
from admin_api.staff.router import auth_router, staff_router, token_router
from admin_api.training.router import router as training_router

router = APIRouter(prefix="/api/admin")
for sub in (
    auth_router,
    staff_router,
    token_router,
    cases_router,
    interpreters_router,
    content_router,
    review_router,
    audit_router,
    profiles_router,
    questions_router,
    insights_router,
    training_router,
):
    router.include_router(sub)
